//! Unit tests of the ordering plan.

use super::{OrderPlan, Window, SOURCES};
use crate::graph::{analyze, sources};
use crate::parse::Pipeline;
use para_core::raw::EndMode;
use quote::quote;

/// The plan of `input`'s graph (unfused, so node ids follow the text).
fn plan(input: proc_macro2::TokenStream) -> (OrderPlan, usize) {
    let pipeline: Pipeline = syn::parse2(quote!([k] #input)).unwrap();
    let nodes = analyze(&pipeline);
    (
        OrderPlan::new(&nodes, sources(&pipeline.source).len()),
        nodes.len(),
    )
}

/// Per node: (tagged_in, tagged_out, feeds, parts, order, conflict).
type Tags = (bool, bool, Vec<usize>, usize, Vec<u8>, bool);

fn tags(input: proc_macro2::TokenStream) -> Vec<Tags> {
    let (plan, len) = plan(input);
    (0..len)
        .map(|n| {
            let node = &plan[n];
            let window = node.window.clone().unwrap_or_default();
            (
                node.tagged_in,
                node.tagged_out,
                node.feeds.iter().map(|f| f.stage).collect(),
                window.parts,
                window.order,
                node.conflict,
            )
        })
        .collect()
}

/// Ordered stage `n`'s window.
fn window(plan: &OrderPlan, n: usize) -> &Window {
    plan[n].window.as_ref().expect("an ordered stage")
}

#[test]
fn parts_are_numbered_by_merge_and_consumed_depth_first() {
    // src => (a, b) => (c, d) => ordered o: at c and d, the path through a is part 0 and
    // through b part 1; at o, c's paths come first: a-c 0, b-c 1, a-d 2, b-d 3. Depth first
    // is a-c, a-d, b-c, b-d.
    let got = tags(quote!(src => (a, b) => (c, d) => ordered o));
    assert_eq!(got[0].2, vec![5], "the source takes credits in o's window");
    assert_eq!(got[5].3, 4);
    assert_eq!(got[5].4, vec![0, 2, 1, 3]);
}

#[test]
fn a_branch_leading_to_no_ordered_stage_takes_the_tags_off() {
    let got = tags(quote!(src => a => (ordered o, b => c)));
    assert_eq!(
        got[1],
        (true, true, vec![], 0, vec![], false),
        "a keeps tags"
    );
    assert_eq!(got[2].3, 1, "o has one part");
    assert_eq!((got[3].0, got[3].1), (true, false), "b takes them off");
    assert_eq!((got[4].0, got[4].1), (false, false), "c is plain");
}

#[test]
fn sibling_and_transparent_ordered_stages_share_the_sources_numbering() {
    // Sibling ordered sinks: the source feeds both windows.
    let got = tags(quote!(src => (ordered a, f => ordered b)));
    assert_eq!(got[0].2, vec![1, 3]);
    // A transparent ordered stage in a branch: its outputs keep their tags for o.
    let got = tags(quote!(src => (ordered a, b) => ordered o));
    assert_eq!(got[0].2, vec![1, 3], "credits in a's and o's windows");
    assert_eq!((got[1].0, got[1].1), (true, true), "a is transparent");
    assert_eq!((got[3].3, got[3].4.clone()), (2, vec![0, 1]));
}

#[test]
fn a_flat_map_in_a_branch_is_a_root_of_its_own() {
    // In a branch of its own up to the ordered stage: fine, it produces that window.
    let got = tags(quote!(src => (flat_map f => ordered a, ordered b)));
    assert_eq!(got[0].2, vec![1, 3], "the source feeds f's and b's windows");
    assert_eq!(got[1].2, vec![2], "f feeds a's");
    assert!(!got[1].5);
    // Meeting another branch at the ordered stage: a stream.
    let got = tags(quote!(src => (flat_map f, g) => ordered o));
    assert!(!got[1].5, "f fills a stream");
    let (got, _) = plan(quote!(src => (flat_map f, g) => ordered o));
    assert_eq!(window(&got, 3).streams.len(), 1);
    assert_eq!(
        (window(&got, 3).parts, window(&got, 3).order.clone()),
        (1, vec![0x80, 0])
    );
    assert!(got[1].fills.is_some());
    // After a flat-map on the chain (the main numbering is that flat-map's): fine too.
    let (got, _) = plan(quote!(src => flat_map e => (flat_map f, g) => ordered o));
    assert!(!got[2].conflict, "f fills a stream of e's numbering");
    assert_eq!(window(&got, 4).streams.len(), 1);
    assert_eq!(window(&got, 4).producer, Some(1));
    // A flat-map after another in the same branch: a chain, whose head ends its inputs'
    // outputs and whose last one passes those end markers on.
    let (got, _) = plan(quote!(src => (flat_map e => flat_map f, g) => ordered o));
    assert!(!got[1].conflict && !got[2].conflict);
    assert!(
        got[1].fills.map(|f| f.end) == Some(EndMode::PerInput),
        "e ends each input's outputs"
    );
    assert!(
        got[2].fills.map(|f| f.end) == Some(EndMode::Forward),
        "f passes e's end markers on"
    );
    assert_eq!(
        (
            window(&got, 4).streams[0].root,
            window(&got, 4).streams[0].head
        ),
        (2, 1)
    );
    assert_eq!(
        window(&got, 4).order,
        vec![0x80, 0],
        "o reads the stream where e's branch goes"
    );
    // Reaching the stage through the inner flat-map and beside it: f's stream is read
    // inside e's.
    let (got, _) = plan(quote!(src => (flat_map e => (flat_map f, g), k) => ordered o));
    assert!(!got[1].conflict && !got[2].conflict);
    let streams: Vec<_> = window(&got, 5)
        .streams
        .iter()
        .map(|s| (s.root, s.order.clone()))
        .collect();
    assert_eq!(
        streams,
        [(1, vec![0x81, 0]), (2, vec![0])],
        "e's steps read f's"
    );
    assert_eq!(window(&got, 5).order, vec![0x80, 0]);
    // Two flat-maps after one whose own outputs do not reach the stage: it fills a stream
    // of holes, inside which theirs are read.
    let (got, _) = plan(quote!(src => (flat_map e => (flat_map f, flat_map g), k) => ordered o));
    let streams: Vec<_> = window(&got, 5)
        .streams
        .iter()
        .map(|s| (s.root, s.holes, s.order.clone()))
        .collect();
    assert_eq!(
        streams,
        [
            (1, true, vec![0, 0x81, 0x82]),
            (2, false, vec![0]),
            (3, false, vec![0])
        ]
    );
    assert_eq!(window(&got, 5).order, vec![0x80, 0]);
}

#[test]
fn a_stream_meeting_another_branch_goes_on_in_its_lane() {
    // src => (f, g) => (h, k) => m => ordered o: at m, f's outputs (lane 1) came through h
    // or k, the source's items likewise; each numbering has two parts at o, and m's edge
    // to o splits them by lane.
    let (got, _) = plan(quote!(src => (flat_map f, g) => (h, k) => m => ordered o));
    assert!(!got[1].conflict);
    assert_eq!(got[1].fills.map(|f| f.lane), Some(1));
    assert_eq!(
        got[5].offsets,
        vec![vec![(SOURCES, 0), (1, 0)]],
        "m carries f's numbering beside the source's"
    );
    let o = window(&got, 6);
    let stream = &o.streams;
    assert_eq!(stream.len(), 1);
    assert_eq!((o.parts, o.order.clone()), (2, vec![0x80, 0, 1]));
    assert_eq!((stream[0].parts, stream[0].order.clone()), (2, vec![0, 1]));
    // h's and k's edges into m: the source's numbering first (h's paths 0, k's 1 at m).
    assert_eq!(got[3].offsets, vec![vec![(SOURCES, 0), (1, 0)]]);
    assert_eq!(got[4].offsets, vec![vec![(SOURCES, 1), (1, 1)]]);
}

#[test]
fn the_streams_of_a_reader_filling_per_source_are_filled_per_source() {
    // Two stages reading streams fill h's two streams per source: each consumes a source's
    // window only while it has credits for that source. A stream it reads, filled in the
    // order the sources come, could hold at its head an input of a source it has none for,
    // while h waits for the other source's outputs of both: a hang. So f1 and f2 fill
    // theirs per source too.
    let (got, _) = plan(quote!((a, b)
        => ((flat_map f1, g1) => ordered t1, (flat_map f2, g2) => ordered t2)
        => ordered h));
    let per_source = |n: usize| got[n].fills.is_some_and(|f| f.per_source);
    assert!(
        per_source(4) && per_source(7),
        "t1 and t2 fill h's streams per source"
    );
    assert!(
        per_source(2) && per_source(5),
        "f1 and f2 fill t1's and t2's per source"
    );
    assert_eq!(window(&got, 4).streams[0].windows, 2);
    assert_eq!(window(&got, 7).streams[0].windows, 2);
    // One stream into h: t1 fills it as the sources come, and f1 likewise.
    let (got, _) = plan(quote!((a, b) => ((flat_map f1, g1) => ordered t1, k) => ordered h));
    let per_source = |n: usize| got[n].fills.is_some_and(|f| f.per_source);
    assert!(!per_source(4) && !per_source(2));
    assert_eq!(window(&got, 4).streams[0].windows, 1);
}
