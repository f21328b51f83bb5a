//! The random chains: a seeded generator and the families of shapes it draws from.

/// A seeded pseudo-random generator (SplitMix64): a few lines whose stream never changes, so
/// the generated file depends on the seed alone, not on a crate's version.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    pub(super) fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }

    /// True with probability `percent` / 100.
    pub(super) fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    /// One of `choices`, each as likely as its weight.
    pub(super) fn weighted<T: Copy>(&mut self, choices: &[(T, u64)]) -> T {
        let total: u64 = choices.iter().map(|&(_, w)| w).sum();
        let mut at = self.next() % total;
        for &(choice, weight) in choices {
            if at < weight {
                return choice;
            }
            at -= weight;
        }
        unreachable!("`at` is below the total weight")
    }
}

/// What a stage does (its closure is `render::stage_text`'s, its reference
/// `render::reference_body`'s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Map,
    Serial,
    Filter,
    FilterMap,
    FlatMap,
    /// `ordered`: logs its inputs, and with one source numbers them into its outputs.
    Ordered,
    OrderedFilterMap,
    /// `ordered flat_map`: logs its inputs.
    OrderedFlatMap,
    /// `try`: panics or fails at the fault's value.
    Fault,
    /// A sink pushing into its own output, `ordered` or not.
    Sink {
        ordered: bool,
    },
}

impl Kind {
    /// It is an ordered middle stage, whose inputs are logged into an output of their own.
    pub(super) fn logs(self) -> bool {
        matches!(
            self,
            Kind::Ordered | Kind::OrderedFilterMap | Kind::OrderedFlatMap
        )
    }
}

/// One stage: its kind and the constants of its closure.
#[derive(Clone, Debug)]
pub(super) struct Stage {
    pub(super) kind: Kind,
    /// `v * k + c` for maps; `v % m == r` for filters; `v ^ |c|` for filter_maps.
    pub(super) k: i64,
    pub(super) c: i64,
    pub(super) m: i64,
    pub(super) r: i64,
    /// `limit(N)` on a parallel map.
    pub(super) limit: Option<u32>,
    /// Its output (a sink's, or an ordered stage's log), numbered in text order.
    pub(super) out: Option<usize>,
    /// An ordered stage that adds its count of inputs seen to its outputs (one source only).
    pub(super) counted: bool,
}

/// An element of a chain: a stage, or a fan-out group of chains that merge after it (or, at
/// the end of a chain, each end in its own sinks).
#[derive(Clone, Debug)]
pub(super) enum Elem {
    Stage(Stage),
    Group(Vec<Vec<Elem>>),
}

impl Stage {
    /// A stage of `kind` with fixed constants.
    pub(super) fn new(kind: Kind) -> Self {
        Stage {
            kind,
            k: 1,
            c: 0,
            m: 2,
            r: 0,
            limit: None,
            out: None,
            counted: false,
        }
    }
}

fn stage(kind: Kind, rng: &mut Rng) -> Elem {
    let limit = (kind == Kind::Map && rng.chance(5)).then(|| rng.range(1, 3) as u32);
    Elem::Stage(Stage {
        kind,
        k: [1, 3, 5, 7][rng.range(0, 3)],
        c: rng.range(0, 18) as i64 - 9,
        m: [2, 3, 5, 7][rng.range(0, 3)],
        r: rng.range(0, 1) as i64,
        limit,
        out: None,
        counted: false,
    })
}

fn pick(kinds: &[(Kind, u64)], rng: &mut Rng) -> Elem {
    let kind = rng.weighted(kinds);
    stage(kind, rng)
}

fn sink(ordered: bool, rng: &mut Rng) -> Elem {
    stage(Kind::Sink { ordered }, rng)
}

/// The families, each a generator of whole chains (everything after the sources).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Family {
    /// Stages, flat-maps and merging fan-outs before one sink, ordered or not; ordered stages
    /// and flat-maps (which then run in order) only in the top-level chain.
    Chains,
    /// Ordered stages of every kind anywhere, nested fan-outs that merge, chains that end in a
    /// fan-out with a sink per branch, ordered or not.
    Branches,
    /// Flat-maps in fan-out branches whose outputs an ordered stage reads as streams: chains of
    /// flat-maps, streams inside streams, stages that read streams and fill one, branches that
    /// meet before the ordered stage (lanes), a flat-map on the chain before them.
    Streams,
}

impl Family {
    pub(super) fn name(self) -> &'static str {
        match self {
            Family::Chains => "chains",
            Family::Branches => "branches",
            Family::Streams => "streams",
        }
    }

    /// A chain of this family, with its fault stage and its sinks.
    pub(super) fn draw(self, rng: &mut Rng) -> Vec<Elem> {
        let mut chain = match self {
            Family::Chains => {
                let ordered = rng.chance(50);
                let mut chain = plain_chain(0, ordered, rng);
                if ordered && rng.chance(40) {
                    // Alone after it, the sink sees the order the flat-map emits in.
                    chain.push(stage(Kind::OrderedFlatMap, rng));
                    chain.push(sink(false, rng));
                } else {
                    chain.push(sink(ordered, rng));
                }
                chain
            }
            Family::Branches => branches(0, true, rng),
            Family::Streams => streams(rng),
        };
        insert_fault(&mut chain, rng);
        chain
    }
}

const PLAIN: &[(Kind, u64)] = &[
    (Kind::Map, 3),
    (Kind::Filter, 2),
    (Kind::FilterMap, 2),
    (Kind::Serial, 1),
];

fn plain_chain(depth: usize, ordered: bool, rng: &mut Rng) -> Vec<Elem> {
    let mut elems = Vec::new();
    for _ in 0..rng.range(1, 3) {
        if depth < 2 && rng.chance(30) {
            let branches = (0..rng.range(2, 3))
                .map(|_| plain_chain(depth + 1, ordered, rng))
                .collect();
            elems.push(Elem::Group(branches));
        } else {
            let mut kinds = PLAIN.to_vec();
            if !ordered || depth == 0 {
                kinds.push((Kind::FlatMap, 1));
            }
            if ordered && depth == 0 {
                kinds.push((Kind::Ordered, 1));
            }
            elems.push(pick(&kinds, rng));
        }
    }
    elems
}

const BRANCH_KINDS: &[(Kind, u64)] = &[
    (Kind::Map, 3),
    (Kind::Filter, 2),
    (Kind::FilterMap, 2),
    (Kind::Serial, 2),
    (Kind::FlatMap, 2),
    (Kind::Ordered, 5),
    (Kind::OrderedFilterMap, 2),
    (Kind::OrderedFlatMap, 1),
];

/// A chain of the `branches` family; a terminal one ends in a sink or in a fan-out of
/// terminal chains.
fn branches(depth: usize, terminal: bool, rng: &mut Rng) -> Vec<Elem> {
    let mut elems = Vec::new();
    let least = usize::from(!(terminal && depth > 0));
    for _ in 0..rng.range(least, if depth == 0 { 3 } else { 2 }) {
        if depth < 2 && rng.chance(40) {
            let group = (0..rng.range(2, 3))
                .map(|_| branches(depth + 1, false, rng))
                .collect();
            elems.push(Elem::Group(group));
        } else {
            elems.push(pick(BRANCH_KINDS, rng));
        }
    }
    if terminal {
        elems.push(terminal_end(depth, rng, |depth, rng| {
            branches(depth + 1, true, rng)
        }));
    }
    elems
}

/// The end of a terminal chain: a sink, or (not too deep) a fan-out of `branch`es.
fn terminal_end(depth: usize, rng: &mut Rng, branch: fn(usize, &mut Rng) -> Vec<Elem>) -> Elem {
    if depth < 2 && rng.chance(if depth == 0 { 50 } else { 25 }) {
        Elem::Group((0..rng.range(2, 3)).map(|_| branch(depth, rng)).collect())
    } else {
        sink(rng.chance(65), rng)
    }
}

/// Stages around flat-maps in their branches: transparent ordered stages among them.
const AROUND: &[(Kind, u64)] = &[
    (Kind::Map, 2),
    (Kind::Filter, 3),
    (Kind::FilterMap, 2),
    (Kind::Serial, 1),
    (Kind::Ordered, 2),
    (Kind::OrderedFilterMap, 1),
];

/// The stages that read streams.
const READERS: &[(Kind, u64)] = &[
    (Kind::Ordered, 3),
    (Kind::OrderedFilterMap, 2),
    (Kind::OrderedFlatMap, 2),
    (Kind::FlatMap, 1),
];

/// A chain of the `streams` family: stages (maybe a flat-map on the chain, maybe merging
/// fan-outs) before a group of branches of which at least one holds flat-maps; maybe stages
/// where the branches meet before the ordered stages (lanes); the stages that read the
/// streams: one, two in a terminal fan-out, or one beside a branch to a plain sink. Sometimes
/// all of it is one branch of a terminal fan-out beside a `branches` chain.
fn streams(rng: &mut Rng) -> Vec<Elem> {
    let mut chain = Vec::new();
    for _ in 0..rng.range(0, 2) {
        chain.push(if rng.chance(20) {
            Elem::Group((0..2).map(|_| plain_branch(1, rng)).collect())
        } else {
            pick(AROUND, rng)
        });
    }
    if rng.chance(20) {
        let kind = if rng.chance(30) {
            Kind::OrderedFlatMap
        } else {
            Kind::FlatMap
        };
        chain.push(stage(kind, rng));
    }
    chain.push(stream_group(0, rng));
    if rng.chance(50) {
        for at in 0..rng.range(1, 3) {
            chain.push(if rng.chance(20) {
                Elem::Group((0..2).map(|_| plain_branch(1, rng)).collect())
            } else if at > 0 && rng.chance(25) {
                stage(Kind::FlatMap, rng)
            } else {
                pick(PLAIN, rng)
            });
        }
    }
    chain.extend(read_streams(rng));
    if rng.chance(20) {
        let beside = branches(1, true, rng);
        return vec![Elem::Group(vec![chain, beside])];
    }
    chain
}

/// A fan-out of 2..=4 branches, at least one with flat-maps.
fn stream_group(depth: usize, rng: &mut Rng) -> Elem {
    let count = rng.range(2, if depth == 0 { 4 } else { 3 });
    let every = rng.chance(20);
    let first = rng.range(0, count - 1);
    let group = (0..count)
        .map(|b| {
            if every || b == first || rng.chance(30) {
                stream_branch(depth, rng)
            } else {
                plain_branch(depth + 1, rng)
            }
        })
        .collect();
    Elem::Group(group)
}

/// A branch with a flat-map: stages around it; after it, maybe more flat-maps in a row (a
/// chain), a group of stream branches (streams inside its stream), or a stage that reads the
/// streams before it (and fills a stream of its own).
fn stream_branch(depth: usize, rng: &mut Rng) -> Vec<Elem> {
    let mut elems = Vec::new();
    if depth == 0 && rng.chance(15) {
        // A stage that reads streams inside a branch, filling a stream of its own.
        elems.push(stream_group(depth + 1, rng));
        elems.push(pick(READERS, rng));
    } else {
        around(&mut elems, rng);
        let kind = if rng.chance(20) {
            Kind::OrderedFlatMap
        } else {
            Kind::FlatMap
        };
        elems.push(stage(kind, rng));
        if depth < 1 && rng.chance(20) {
            elems.push(stream_group(depth + 1, rng));
        } else {
            for _ in 0..rng.range(0, 2) {
                if rng.chance(40) {
                    around(&mut elems, rng);
                    elems.push(stage(Kind::FlatMap, rng));
                }
            }
        }
    }
    around(&mut elems, rng);
    elems
}

/// Up to two `AROUND` stages, seldom a fan-out of them that merges again.
fn around(elems: &mut Vec<Elem>, rng: &mut Rng) {
    for _ in 0..rng.range(0, 2) {
        elems.push(if rng.chance(10) {
            Elem::Group((0..2).map(|_| vec![pick(AROUND, rng)]).collect())
        } else {
            pick(AROUND, rng)
        });
    }
}

/// A branch without flat-maps: stages, maybe a nested group of them.
fn plain_branch(depth: usize, rng: &mut Rng) -> Vec<Elem> {
    let mut elems: Vec<Elem> = (0..rng.range(1, 2)).map(|_| pick(AROUND, rng)).collect();
    if depth < 2 && rng.chance(20) {
        let group = (0..2).map(|_| plain_branch(depth + 1, rng)).collect();
        let at = rng.range(0, elems.len());
        elems.insert(at, Elem::Group(group));
    }
    elems
}

/// The ordered stages that read the streams, with what follows them.
fn read_streams(rng: &mut Rng) -> Vec<Elem> {
    let tail = |rng: &mut Rng| {
        let mut elems: Vec<Elem> = (0..rng.range(0, 1)).map(|_| pick(PLAIN, rng)).collect();
        elems.push(sink(rng.chance(50), rng));
        elems
    };
    match rng.range(0, 3) {
        0 => vec![sink(true, rng)],
        1 => {
            let mut chain = vec![pick(READERS, rng)];
            chain.extend(tail(rng));
            chain
        }
        2 => {
            let mut first = vec![pick(READERS, rng)];
            first.extend(tail(rng));
            let mut second = (0..rng.range(0, 1))
                .map(|_| pick(PLAIN, rng))
                .collect::<Vec<_>>();
            second.push(pick(READERS, rng));
            second.extend(tail(rng));
            vec![Elem::Group(vec![first, second])]
        }
        _ => {
            let mut reader = vec![pick(READERS, rng)];
            reader.extend(tail(rng));
            vec![Elem::Group(vec![reader, tail(rng)])]
        }
    }
}

/// Puts the fault stage at a random place of the top-level chain or of a branch, never after
/// a chain's sink.
fn insert_fault(elems: &mut Vec<Elem>, rng: &mut Rng) {
    if rng.chance(50) {
        let groups = elems.iter().filter(|e| matches!(e, Elem::Group(_))).count();
        if groups > 0 {
            let nth = rng.range(0, groups - 1);
            if let Some(Elem::Group(branches)) = elems
                .iter_mut()
                .filter(|e| matches!(e, Elem::Group(_)))
                .nth(nth)
            {
                let at = rng.range(0, branches.len() - 1);
                return insert_fault(&mut branches[at], rng);
            }
        }
    }
    let last = elems.len() - usize::from(is_terminal(elems));
    let at = rng.range(0, last);
    elems.insert(at, Elem::Stage(Stage::new(Kind::Fault)));
}

/// Whether `chain` ends in sinks: nothing may follow it.
pub(super) fn is_terminal(chain: &[Elem]) -> bool {
    match chain.last() {
        Some(Elem::Stage(stage)) => matches!(stage.kind, Kind::Sink { .. }),
        Some(Elem::Group(branches)) => branches.iter().all(|b| is_terminal(b)),
        None => false,
    }
}
