//! Tests of the whole macro on token streams: the exact expansion of the seed example, and the
//! messages of errors. (Where errors point, on real code, is what `tests/tests/ui` checks.)

use proc_macro2::TokenStream;
use quote::quote;

use crate::expand;

fn expansion(input: TokenStream) -> String {
    expand(quote!([K] #input)).to_string()
}

/// The messages of the `compile_error!`s in an expansion.
fn errors(input: TokenStream) -> Vec<String> {
    let mut found = Vec::new();
    collect_errors(expand(quote!([K] #input)), &mut found);
    found
}

fn collect_errors(tokens: TokenStream, found: &mut Vec<String>) {
    let mut after_compile_error = false;
    for tt in tokens {
        match tt {
            proc_macro2::TokenTree::Ident(ident) => after_compile_error = ident == "compile_error",
            proc_macro2::TokenTree::Group(group) if after_compile_error => {
                let msg: syn::LitStr = syn::parse2(group.stream()).unwrap();
                found.push(msg.value());
                after_compile_error = false;
            }
            proc_macro2::TokenTree::Group(group) => collect_errors(group.stream(), found),
            proc_macro2::TokenTree::Punct(p) if p.as_char() == '!' => {}
            _ => after_compile_error = false,
        }
    }
}

#[test]
fn seed_example_expansion() {
    let got = expansion(quote! {
        4, data => (|x| (x * 2, x) => |(x2, x)| x2 - x, |x| -x) => |x| sum += x
    });
    let want = quote! {{
        let __para_threads = K::__private::thread_count(4);
        let (__para_n0, __para_t0) = {
            use K::__private::{ViaCaller as _, ViaFeed as _, ViaIter as _, ViaSplit as _};
            (&&&&K::__private::SourceArg::new(data)).source()
        };
        K::__private::source_is_send(&__para_n0);
        let __para_t0f = K::__private::fan_out(__para_t0);
        // The two stateless stages of the first branch are fused into one node (`fuse.rs`).
        let (__para_p1_0, __para_pt1_0) = K::__private::parallel_map(__para_t0f, |x| (x * 2, x));
        let (__para_n1, __para_t1) = K::__private::parallel_map(__para_pt1_0, |(x2, x)| x2 - x);
        let __para_n1 = K::__private::fuse(__para_p1_0, __para_n1);
        let (__para_n2, __para_t2) = K::__private::parallel_map(__para_t0f, |x| -x);
        let __para_m3 = K::__private::merge(__para_t1, __para_t2);
        let __para_n3 = K::__private::sink(__para_m3, |x| sum += x);
        let __para_q1 = K::__private::queue::<_, { K::__private::DEFAULT_CAPACITY }>(__para_t0f);
        let __para_q2 = K::__private::queue::<_, { K::__private::DEFAULT_CAPACITY }>(__para_t0f);
        let __para_q3 = K::__private::queue::<_, { K::__private::DEFAULT_CAPACITY }>(__para_m3);
        const __PARA_NODES: &[K::__private::NodeInfo] = &[
            K::__private::NodeInfo::new("data", K::__private::NodeKind::Source, &[]),
            K::__private::NodeInfo::new("|x| (x * 2, x) => |(x2, x)| x2 - x", K::__private::NodeKind::Parallel, &[0]),
            K::__private::NodeInfo::new("|x| -x", K::__private::NodeKind::Parallel, &[0]),
            K::__private::NodeInfo::new("|x| sum += x", K::__private::NodeKind::Sink, &[1, 2])
        ];
        let __para_graph = K::__private::Graph::new(__PARA_NODES, |__para_id: u16, __para_cx: &mut K::__private::Cx<'_>| -> bool {
            match __para_id {
                0 => K::__private::run_source(0, &__para_n0, (K::__private::Edge::new(&*__para_q1, 1), K::__private::Edge::new(&*__para_q2, 2)), __para_cx),
                1 => K::__private::run_parallel(1, &*__para_q1, &__para_n1, K::__private::Edge::new(&*__para_q3, 3), __para_cx),
                2 => K::__private::run_parallel(2, &*__para_q2, &__para_n2, K::__private::Edge::new(&*__para_q3, 3), __para_cx),
                3 => K::__private::run_serial(3, &*__para_q3, &__para_n3, K::__private::Discard, __para_cx),
                _ => false,
            }
        });
        let __para_result = K::__private::run(&__para_graph, __para_threads, K::__private::Options::new().source(0, &__para_n0));
        __para_result
    }};
    assert_eq!(got, want.to_string());
}

#[test]
fn options_and_default_threads() {
    let got = expansion(quote!(capacity = 8, pin = false, 0..10 => |x| drop(x)));
    assert!(
        got.contains("let __para_threads = K :: __private :: all_cores () ;"),
        "{got}"
    );
    assert!(got.contains("queue :: < _ , { 8 } > (__para_t0)"), "{got}");
    assert!(
        got.contains("K :: __private :: Options :: new () . pin (false)"),
        "{got}"
    );
}

#[test]
fn fan_out_of_three_nests_pairs_and_merges_fold() {
    let got = expansion(quote!(src => (a, b, c) => d));
    let edges = "(K :: __private :: Edge :: new (& * __para_q1 , 1) , \
                 (K :: __private :: Edge :: new (& * __para_q2 , 2) , \
                 K :: __private :: Edge :: new (& * __para_q3 , 3)))";
    assert!(got.contains(edges), "{got}");
    let merge = "let __para_m4 = K :: __private :: merge (K :: __private :: merge \
                 (__para_t1 , __para_t2) , __para_t3) ;";
    assert!(got.contains(merge), "{got}");
}

#[test]
fn nested_groups_and_a_group_at_the_end() {
    let got = expansion(quote!(src => (a => (b, c) => d, e) => (f, g)));
    assert!(
        got.contains("let __para_t1f = K :: __private :: fan_out (__para_t1) ;"),
        "{got}"
    );
    assert!(
        got.contains("let __para_t4f = K :: __private :: fan_out (__para_t4) ;"),
        "{got}"
    );
    assert!(
        got.contains("let __para_t5f = K :: __private :: fan_out (__para_t5) ;"),
        "{got}"
    );
    assert!(
        got.contains("let __para_n6 = K :: __private :: sink (__para_m6 , f) ;"),
        "{got}"
    );
    assert!(
        got.contains("let __para_n7 = K :: __private :: sink (__para_m7 , g) ;"),
        "{got}"
    );
}

#[test]
fn syntax_errors() {
    let cases: &[(TokenStream, &str)] = &[
        (
            quote!(),
            "expected a source: `pipeline!(threads, source => stage => sink)`",
        ),
        (quote!(data => |x| x =>), "expected a node after `=>`"),
        (quote!(data => (a =>, b)), "expected a node after `=>`"),
        (
            quote!(data => a b),
            "expected `=>` or the end of the pipeline",
        ),
        (
            quote!(data => (a b)),
            "expected `=>`, `,` or the end of the group",
        ),
        (
            quote!(data => (, a)),
            "expected a node: a closure such as `|x| x + 1`, or a function",
        ),
        (quote!(data b), "expected `=>` after the source"),
        (
            quote!(4, capacity = 8),
            "expected a source, found what looks like an option; an option must be followed by `,`",
        ),
        (
            quote!(pin = true, 4, data => a),
            "expected an option `name = value` or the source; a thread count must come first, \
             before the options",
        ),
        (
            quote!(data => a, b),
            "expected `=>` or the end of the pipeline; to send every item to several nodes, \
             group them: `source => (node_a, node_b)`",
        ),
    ];
    for (input, message) in cases {
        assert_eq!(errors(input.clone()), [*message], "for `{input}`");
    }
}

#[test]
fn semantic_errors_are_reported_together() {
    let got = errors(quote!(0, capacity = 0, foo = 1, pin = true, pin = false, data => |x| x));
    assert_eq!(
        got,
        [
            "a pipeline needs at least 1 thread",
            "`capacity` must be at least 1: every queue needs room for one item",
            "unknown option `foo`; expected one of `capacity`, `error`, `pin`, `progress`, \
             `stack_size`, `stats`",
            "the option `pin` is given twice; give it once",
        ]
    );
    // ... and the pipeline is still expanded, without the bad values.
    let got = expansion(quote!(0, capacity = 0, data => |x| x));
    assert!(got.contains("all_cores ()"), "{got}");
    assert!(got.contains("DEFAULT_CAPACITY"), "{got}");
}

#[test]
fn shape_errors() {
    assert_eq!(
        errors(quote!(4, data)),
        ["a pipeline needs at least one node after its source: `source => sink`"]
    );
    assert_eq!(
        errors(quote!(data,)),
        ["a pipeline needs at least one node after its source: `source => sink`"]
    );
    assert_eq!(
        errors(quote!(data => (a, ()) => ())),
        [
            "a fan-out group needs at least one branch: `(node_a, node_b)`",
            "a fan-out group needs at least one branch: `(node_a, node_b)`",
        ]
    );
}

#[test]
fn trailing_commas_are_accepted() {
    let a = expansion(quote!(4, data => (a, b,) => c,));
    let b = expansion(quote!(4, data => (a, b) => c));
    assert_eq!(a, b);
}

#[test]
fn expansion_is_deterministic() {
    let input = quote!(data => (a => (b, c) => d, e) => f);
    assert_eq!(expansion(input.clone()), expansion(input));
}

#[test]
fn try_combines_with_filter_filter_map_and_flat_map_in_either_order() {
    let cases: &[(TokenStream, &str)] = &[
        (quote!(d => try filter |x| f(x) => s), "parallel_try_filter"),
        (quote!(d => filter try |x| f(x) => s), "parallel_try_filter"),
        (
            quote!(d => try filter_map f => s),
            "parallel_try_filter_map",
        ),
        (
            quote!(d => serial filter_map try f => s),
            "serial_try_filter_map",
        ),
        (quote!(d => try flat_map f => s), "parallel_try_flat_map"),
        (
            quote!(d => flat_map try serial f => s),
            "serial_try_flat_map",
        ),
    ];
    for (input, constructor) in cases {
        assert_eq!(errors(input.clone()), Vec::<String>::new(), "for `{input}`");
        let got = expansion(input.clone());
        let call = format!("K :: __private :: {constructor} (__para_t0 , & __para_errors , ");
        assert!(got.contains(&call), "for `{input}`: {got}");
    }
}

#[test]
fn a_serial_flat_map_runs_its_own_step() {
    let got = expansion(quote!(d => serial flat_map f => s));
    assert!(
        got.contains(
            "let (__para_n1 , __para_t1) = K :: __private :: serial_flat_map (__para_t0 , f) ;"
        ),
        "{got}"
    );
    assert!(
        got.contains("K :: __private :: run_serial_flat_map (1 , & * __para_q1 , & __para_n1 ,"),
        "{got}"
    );
    assert!(
        got.contains("K :: __private :: NodeKind :: Serial"),
        "{got}"
    );
}

#[test]
fn an_ordered_flat_map_runs_its_own_step() {
    for input in [
        quote!(d => ordered flat_map f => s),
        quote!(d => flat_map ordered f => s),
        quote!(d => ordered try flat_map f => s),
    ] {
        assert_eq!(errors(input.clone()), Vec::<String>::new(), "for `{input}`");
        let got = expansion(input.clone());
        assert!(
            got.contains(
                "K :: __private :: run_ordered_flat_map (1 , & * __para_q1 , & () , & __para_n1 ,"
            ),
            "for `{input}`: {got}"
        );
    }
}

#[test]
fn marker_combinations_still_refused() {
    let cases: &[(TokenStream, &str)] = &[
        (
            quote!(d => try filter flat_map f => s),
            "`flat_map` cannot be combined with `filter`, `filter_map` or `flat_map`",
        ),
        (
            quote!(d => try flat_map f),
            "`flat_map` passes items on, so it needs a node after it: `flat_map |x| … => sink`",
        ),
    ];
    for (input, message) in cases {
        assert_eq!(errors(input.clone()), [*message], "for `{input}`");
    }
}

/// The node names of an expansion's table, in id order.
fn node_names(input: TokenStream) -> Vec<String> {
    let got = expansion(input);
    got.split("NodeInfo :: new (\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
        .collect()
}

#[test]
fn chains_of_stateless_stages_are_fused() {
    // a, b (a filter) and c run as one node; so does a map in front of a flat-map, or of a
    // parallel sink.
    assert_eq!(
        node_names(quote!(src => |x| a(x) => filter |x| b(x) => |x| c(x) => |x| s(x))),
        ["src", "|x| a(x) => |x| b(x) => |x| c(x)", "|x| s(x)"]
    );
    assert_eq!(
        node_names(quote!(src => |x| a(x) => flat_map |x| f(x) => |x| s(x))),
        ["src", "|x| a(x) => |x| f(x)", "|x| s(x)"]
    );
    assert_eq!(
        node_names(quote!(src => |x| a(x) => parallel |x| s(x))),
        ["src", "|x| a(x) => |x| s(x)"]
    );
    let got = expansion(quote!(src => try |x| a(x) => |x| b(x) => |x| s(x)));
    assert!(
        got.contains("K :: __private :: fuse (__para_p1_0 , __para_n1)"),
        "{got}"
    );
    assert!(
        got.contains("into_result"),
        "a fused `try` stage makes the run fallible: {got}"
    );
}

#[test]
fn stateful_ordered_flat_map_priority_fan_out_and_merge_nodes_are_not_fused() {
    for input in [
        quote!(src => |x| a(x) => serial |x| b(x) => |x| s(x)),
        quote!(src => |x| a(x) => ordered |x| b(x) => |x| s(x)),
        quote!(src => flat_map |x| a(x) => |x| b(x) => |x| s(x)),
        quote!(src => |x| a(x) => priority(3) |x| b(x) => |x| s(x)),
        quote!(src => priority(0) |x| a(x) => |x| b(x) => |x| s(x)),
    ] {
        assert_eq!(node_names(input.clone()).len(), 4, "for `{input}`");
    }
    // A fan-out node, and a merge node, stay; the stages inside each branch fuse.
    assert_eq!(
        node_names(
            quote!(src => |x| a(x) => (|x| b(x) => |x| c(x), |x| d(x)) => |x| e(x) => |x| s(x))
        ),
        [
            "src",
            "|x| a(x)",
            "|x| b(x) => |x| c(x)",
            "|x| d(x)",
            "|x| e(x)",
            "|x| s(x)"
        ]
    );
}

#[test]
fn a_flat_map_fuses_into_a_fold_sink_only() {
    let got = expansion(quote!(d => |x| a => flat_map f => |y| b => fold(i, g, m)));
    assert!(
        got.contains("K :: __private :: flat_fold (__para_p1_1 , __para_n1)"),
        "{got}"
    );
    assert!(
        got.contains("K :: __private :: run_flat_fold (1 ,"),
        "{got}"
    );
    assert!(
        !got.contains("__para_n2"),
        "one node after the source: {got}"
    );
    // Not into another sink, nor two flat-maps into one fold.
    for (graph, nodes) in [
        (quote!(d => flat_map f => |y| s), 3),
        (quote!(d => flat_map f => parallel |y| s), 3),
        (quote!(d => flat_map f => flat_map g => fold(i, h, m)), 3),
    ] {
        let got = expansion(graph);
        let last = format!("__para_n{}", nodes - 1);
        assert!(got.contains(&last), "{nodes} nodes: {got}");
        assert!(
            !got.contains(&format!("__para_n{nodes}")),
            "{nodes} nodes: {got}"
        );
    }
}
