//! Pass 2: the numberings. Per node, in id order (topological): which numbering its inputs
//! carry and how many paths lead there from its root; per ordered stage, its window's parts and
//! producer, the streams it reads and the chains that fill them; nodes where numberings meet
//! that cannot are refused.

use super::{is_root, Draft, Feed, StreamIn, SOURCES};
use crate::graph::Node;

/// What the numbering pass leaves for the later ones, beside the drafts.
pub(super) struct Numbering {
    /// Per node: the numbering its inputs carry (`SOURCES`, or a root's node id; where several
    /// meet, the main one).
    pub(super) root_in: Vec<Option<usize>>,
    /// Per node: per numbering its outputs carry (the main one first), how many paths from
    /// its root lead to them.
    pub(super) paths_out: Vec<Vec<(usize, usize)>>,
    /// Per stream into an ordered stage: the stage, and the stream's chain (root first).
    pub(super) chains: Vec<(usize, Vec<usize>)>,
}

/// Numbers every node (module docs).
pub(super) fn number(nodes: &[Node<'_>], sources: usize, draft: &mut [Draft]) -> Numbering {
    let mut num = Numbering {
        root_in: vec![None; nodes.len()],
        paths_out: vec![Vec::new(); nodes.len()],
        chains: Vec::new(),
    };
    for n in 0..nodes.len() {
        draft[n].tagged_in =
            nodes[n].ordered || nodes[n].preds.iter().any(|&p| draft[p].tagged_out);
        if n < sources {
            if draft[n].tagged_out {
                num.paths_out[n] = vec![(SOURCES, 1)];
            }
            continue;
        }
        let roots = incoming(nodes, sources, &num.paths_out, n);
        let main = main_root(nodes, draft, &roots, &num.root_in);
        // Numberings meet only as streams of a main one: flat-maps' outputs with the numbering
        // of their inputs. At an ordered stage, it reads them as streams; at any other node,
        // they go on side by side, each in its lane, to the ordered stages that read them.
        // Anywhere else (two unrelated numberings): refused.
        let Some(main) = main else {
            if roots.len() > 1 {
                refuse_unrelated(draft, &roots, &num.root_in);
            }
            continue;
        };
        num.root_in[n] = Some(main);
        let paths = roots
            .iter()
            .find(|(r, _)| *r == main)
            .map_or(0, |&(_, paths)| paths);
        if nodes[n].ordered {
            open_window(draft, sources, n, main, paths);
            read_streams(draft, &mut num, n, main, &roots);
        }
        if draft[n].tagged_out {
            carry_out(nodes, draft, &mut num, n, main, paths, &roots);
        }
    }
    num
}

/// The numberings node `n`'s predecessors carry, each with the paths from its root to `n`
/// (the sources count as one: each numbers its own items along the same paths).
fn incoming(
    nodes: &[Node<'_>],
    sources: usize,
    paths_out: &[Vec<(usize, usize)>],
    n: usize,
) -> Vec<(usize, usize)> {
    let mut roots: Vec<(usize, usize)> = Vec::new();
    for &p in &nodes[n].preds {
        for &(r, paths) in &paths_out[p] {
            let paths = if p < sources && p > 0 { 0 } else { paths };
            match roots.iter_mut().find(|(root, _)| *root == r) {
                Some((_, sum)) => *sum = sum.saturating_add(paths),
                None => roots.push((r, paths)),
            }
        }
    }
    roots
}

/// Marks the flat-maps whose unrelated numberings meet: the inner ones (whose inputs'
/// numbering reaches there too), or every one if none is.
fn refuse_unrelated(draft: &mut [Draft], roots: &[(usize, usize)], root_in: &[Option<usize>]) {
    let flat_maps = || roots.iter().map(|&(r, _)| r).filter(|&r| r != SOURCES);
    let inner = |r: usize| flat_maps().any(|q| Some(q) == root_in[r]);
    let any_inner = flat_maps().any(inner);
    for r in flat_maps()
        .filter(|&r| !any_inner || inner(r))
        .collect::<Vec<_>>()
    {
        draft[r].conflict = true;
    }
}

/// Ordered stage `n`'s window: its parts, its producer, and the credits its root takes in it.
fn open_window(draft: &mut [Draft], sources: usize, n: usize, main: usize, paths: usize) {
    draft[n].parts = paths;
    draft[n].producer = (main != SOURCES).then_some(main);
    let feeding = if main == SOURCES {
        0..sources
    } else {
        main..main + 1
    };
    for r in feeding {
        draft[r].feeds.push(Feed {
            stage: n,
            stream: None,
        });
    }
}

/// The streams ordered stage `n` reads (the numberings besides `main` among its inputs'), the
/// chains that fill them, and how each member of a chain ends its outputs.
fn read_streams(
    draft: &mut [Draft],
    num: &mut Numbering,
    n: usize,
    main: usize,
    roots: &[(usize, usize)],
) {
    let mut streams: Vec<(usize, usize)> =
        roots.iter().copied().filter(|&(r, _)| r != main).collect();
    let mut holes = streams_of_holes(&num.root_in, main, &mut streams);
    holes.extend(streams_of_holes_for_readers(
        draft,
        &num.root_in,
        main,
        &mut streams,
    ));
    // A stream no path brings here (its flat-maps' branches met before this stage, and only
    // theirs go on) has holes in part 0 to carry its steps.
    for (f, parts) in &mut streams {
        if *parts == 0 {
            *parts = 1;
            holes.push(*f);
        }
    }
    streams.sort_unstable();
    let stream_roots: Vec<usize> = streams.iter().map(|&(r, _)| r).collect();
    for (j, &(f, parts)) in streams.iter().enumerate() {
        // A flat-map after others in its branch that do not reach here themselves (a chain up
        // to the one whose inputs carry `main` or another stream, the head): the head ends
        // each input's outputs, the others pass those end markers on (para-core's `ordered`
        // module docs, "Streams").
        let chain = chain(&num.root_in, f, main, &stream_roots);
        let head = *chain.last().expect("not empty");
        for &c in &chain {
            draft[c].ends = true;
            if c != head {
                draft[c].forwards = true;
                if draft[c].parts == 0 {
                    // Every input of it is a stream: the end markers it passes on need a part
                    // of its window to come in, holes from its producer.
                    draft[c].main_holes = true;
                    draft[c].parts = 1;
                }
            } else if draft[c].streams.is_empty() {
                draft[c].marks_inputs = true;
            } else {
                // A head that reads streams itself has several inputs at a stream step of its
                // window. Where this stage reads none of those streams, it reads them at one
                // step (where the paths enter that stream's flat-map): the head ends each
                // step of its window. Where this stage reads them all (their flat-maps' outputs
                // reach it beside the head too), it reads the head's outputs of each of their
                // items inside them: the head ends each input's outputs. Both at once cannot
                // be (para-core's `ordered` module docs, "Streams").
                let read = &draft[c].streams;
                let here = read
                    .iter()
                    .filter(|s| stream_roots.contains(&s.root))
                    .count();
                // Ending each input's outputs is not supported where the head reads holes, or
                // where its own window is in a flat-map's numbering.
                let holes = draft[c].main_holes || read.iter().any(|s| s.holes);
                let nested = draft[c].producer.is_some();
                if here == 0 {
                    draft[c].ends_steps = true;
                } else if here == read.len() && !holes && !nested {
                    draft[c].marks_inputs = true;
                } else {
                    draft[c].ends_conflict = true;
                }
            }
        }
        num.chains.push((n, chain));
        draft[f].feeds.push(Feed {
            stage: n,
            stream: Some(j),
        });
        draft[n].streams.push(StreamIn {
            root: f,
            head,
            parts,
            holes: holes.contains(&f),
            windows: 1,
            order: Vec::new(),
        });
    }
}

/// Adds to `streams` the flat-maps that head two chains or more without reaching the stage
/// themselves: each is read as a stream of its own, of holes (one per output, and its end
/// markers), inside which its chains are read (para-core's `ordered` module docs, "Flat-maps
/// after one that reaches no ordered stage"). Returns them.
fn streams_of_holes(
    root_in: &[Option<usize>],
    main: usize,
    streams: &mut Vec<(usize, usize)>,
) -> Vec<usize> {
    let mut holes = Vec::new();
    loop {
        let (_, heads) = roots_and_heads(root_in, main, streams);
        match (1..heads.len()).find(|&i| heads[..i].contains(&heads[i])) {
            Some(i) => {
                streams.push((heads[i], 1));
                holes.push(heads[i]);
            }
            None => return holes,
        }
    }
}

/// Adds to `streams` the flat-maps read by stages that read streams and fill one of this
/// stage's (*readers*) whose outputs this stage must see per input of such a reader: where a
/// reader reads a flat-map whose outputs reach this stage beside it, or two readers read one
/// flat-map. Such a reader ends each input's outputs, and this stage reads them inside the
/// flat-map's stream — of holes when its outputs reach here only through the readers
/// (para-core's `ordered` module docs, "Streams"). Returns those flat-maps.
fn streams_of_holes_for_readers(
    draft: &[Draft],
    root_in: &[Option<usize>],
    main: usize,
    streams: &mut Vec<(usize, usize)>,
) -> Vec<usize> {
    let mut holes = Vec::new();
    loop {
        // A reader heads the chain of its stream (flat-maps may follow it in its branch).
        let (roots, heads) = roots_and_heads(root_in, main, streams);
        let readers: Vec<&[StreamIn]> = heads
            .iter()
            .map(|&head| &draft[head].streams[..])
            .filter(|read| !read.is_empty())
            .collect();
        let shared = |i: usize, f: usize| {
            roots.contains(&f)
                || readers
                    .iter()
                    .enumerate()
                    .any(|(k, other)| k != i && other.iter().any(|s| s.root == f))
        };
        let missing = readers.iter().enumerate().find_map(|(i, read)| {
            let per_input = read.iter().any(|s| shared(i, s.root));
            let absent = read.iter().map(|s| s.root).find(|f| !roots.contains(f));
            per_input.then_some(absent).flatten()
        });
        match missing {
            Some(f) => {
                streams.push((f, 1));
                holes.push(f);
            }
            None => return holes,
        }
    }
}

/// The numberings node `n`'s outputs carry: a numbering of its own if it renumbers, else its
/// inputs' (the main one first, then the streams going on in their lanes).
fn carry_out(
    nodes: &[Node<'_>],
    draft: &mut [Draft],
    num: &mut Numbering,
    n: usize,
    main: usize,
    paths: usize,
    roots: &[(usize, usize)],
) {
    // An ordered stage that reads streams numbers its outputs anew, like a flat-map: they are
    // no longer one per part of a source item.
    draft[n].renumbers = is_root(&nodes[n]) || (nodes[n].ordered && !draft[n].streams.is_empty());
    num.paths_out[n] = if draft[n].renumbers {
        vec![(n, 1)]
    } else {
        let mut out = vec![(main, paths)];
        out.extend(roots.iter().copied().filter(|&(r, _)| r != main));
        out
    };
}

/// The numbering a node's inputs belong to, given its predecessors' `roots`: the only one, or,
/// where an ordered flat-map's outputs (a stream) meet the numbering its inputs came from, that
/// one. `None` if there is none, or if they do not meet that way.
fn main_root(
    nodes: &[Node<'_>],
    draft: &[Draft],
    roots: &[(usize, usize)],
    root_in: &[Option<usize>],
) -> Option<usize> {
    // Whether `r`'s outputs carry a numbering of its own (known once the pass has passed it).
    let numbers = |r: usize| is_root(&nodes[r]) || draft[r].renumbers;
    // A stream: a flat-map's numbering whose inputs carry `main`, or another stream's (nested
    // flat-maps in one branch).
    let stream_of = |r: usize, main: usize| {
        let mut r = r;
        loop {
            if r == SOURCES || !numbers(r) {
                return false;
            }
            let x = root_in[r].unwrap_or(SOURCES);
            if x == main {
                return true;
            }
            // Its input's numbering: another stream (it reaches here too: a stream read inside
            // that one's), or a flat-map's that reaches here only through it (a chain).
            r = x;
        }
    };
    match roots {
        [] => None,
        [(r, _)] => Some(*r),
        _ => {
            // The main numbering is one of them, the others its streams; or, when every branch
            // is a flat-map, the nearest one all their inputs come from (among the first one's
            // ancestors, nearest first).
            let fits = |main: usize| roots.iter().all(|&(r, _)| r == main || stream_of(r, main));
            let among = roots.iter().map(|&(r, _)| r).find(|&m| fits(m));
            let (mut up, _) = roots[0];
            let beneath = std::iter::from_fn(|| {
                if up == SOURCES || !numbers(up) {
                    return None;
                }
                up = root_in[up].unwrap_or(SOURCES);
                Some(up)
            })
            .find(|&m| fits(m));
            among.or(beneath)
        }
    }
}

/// The roots of `streams`, and the head of each one's chain, in the same order.
fn roots_and_heads(
    root_in: &[Option<usize>],
    main: usize,
    streams: &[(usize, usize)],
) -> (Vec<usize>, Vec<usize>) {
    let roots: Vec<usize> = streams.iter().map(|&(r, _)| r).collect();
    let heads = roots
        .iter()
        .map(|&f| chain(root_in, f, main, &roots).pop().unwrap_or(f))
        .collect();
    (roots, heads)
}

/// The chain of stream `f` into a stage whose main numbering is `main`: `f`, then the
/// flat-maps before it in its branch whose outputs reach the stage only through it, up to the
/// one (the *head*) whose inputs carry `main` or another of the stage's `streams`.
fn chain(root_in: &[Option<usize>], f: usize, main: usize, streams: &[usize]) -> Vec<usize> {
    let mut chain = vec![f];
    while let Some(x) = root_in[*chain.last().expect("not empty")] {
        if x == main || x == SOURCES || streams.contains(&x) {
            break;
        }
        chain.push(x);
    }
    chain
}
