//! Parsing: `[krate] [threads,] [option = value,]* source => chain` into a [`Pipeline`].
//!
//! Only the syntax is checked here. Anything that parses but makes no sense (a zero thread
//! count, an empty fan-out group, a source with no node after it) is left for `check.rs`, so
//! that several such mistakes are reported at once rather than one per compilation.
//!
//! Nodes are parsed with syn's full `Expr` parser: `=>` is not an operator, so an expression
//! (a closure's body included) stops in front of it, and in front of the `,` separating the
//! branches of a group.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{discouraged::Speculative, Parse, ParseStream};
use syn::{bracketed, parenthesized, token, Expr, Ident, Token};

/// One `pipeline!` invocation, as written.
pub(crate) struct Pipeline {
    /// The path of the crate whose `__private` module the expansion calls (`$crate` of para-std).
    pub(crate) krate: TokenStream,
    pub(crate) threads: Option<Expr>,
    pub(crate) options: Vec<Opt>,
    /// `error = Type`: the error type of the run's `try` nodes, each converting into it with
    /// `?`; the first one given (a second is an error `check.rs` reports).
    pub(crate) error: Vec<ErrorType>,
    pub(crate) source: Expr,
    /// What follows `source =>`; empty if nothing does (an error `check.rs` reports).
    pub(crate) chain: Chain,
}

/// `name = value`, before the source.
pub(crate) struct Opt {
    pub(crate) name: Ident,
    pub(crate) value: Expr,
}

/// `error = Type`, before the source: a type is no expression, so it is parsed apart.
pub(crate) struct ErrorType {
    pub(crate) name: Ident,
    pub(crate) ty: syn::Type,
}

/// `elem => elem => ...`
pub(crate) struct Chain {
    pub(crate) elems: Vec<Elem>,
}

pub(crate) enum Elem {
    /// A closure or any other expression that is not parenthesized, after its markers.
    Node(Box<NodeSpec>),
    /// `(chain, chain, ...)`: every branch receives every item.
    Group(Group),
}

/// A node as written: `marker marker … expr`.
pub(crate) struct NodeSpec {
    pub(crate) markers: Vec<Marker>,
    pub(crate) expr: Expr,
}

/// A word in front of a node that says what kind of node it is: `serial`, `filter`,
/// `priority(3)`, … (`check.rs` knows their meaning).
pub(crate) struct Marker {
    pub(crate) name: Ident,
    /// The argument of `priority(N)`, `limit(N)` or `batch(N)`.
    pub(crate) arg: Option<Expr>,
}

/// The words `parse_markers` takes for markers.
pub(crate) const MARKERS: [&str; 11] = [
    "async",
    "batch",
    "serial",
    "parallel",
    "ordered",
    "filter",
    "filter_map",
    "flat_map",
    "try",
    "priority",
    "limit",
];

pub(crate) struct Group {
    pub(crate) paren: token::Paren,
    /// Empty for `()` (an error `check.rs` reports).
    pub(crate) branches: Vec<Chain>,
}

/// Where a chain is being parsed: it decides what may end it and how errors read.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    TopLevel,
    Branch,
}

impl Parse for Pipeline {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let krate;
        bracketed!(krate in input);
        let krate: TokenStream = krate.parse()?;
        if input.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "expected a source: `pipeline!(threads, source => stage => sink)`",
            ));
        }

        // The header is a comma-separated list of expressions ending with the source. An
        // expression followed by `,` and more input is a thread count (first, at most once) or
        // an option (`ident = value`: an assignment is never a sensible source).
        let mut threads = None;
        let mut options = Vec::new();
        let mut error = Vec::new();
        let source = loop {
            if input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![=>]) {
                let fork = input.fork();
                if fork.parse::<Ident>()? == "error" {
                    let name = input.parse()?;
                    input.parse::<Token![=]>()?;
                    let ty = input.parse()?;
                    error.push(ErrorType { name, ty });
                    if input.is_empty() {
                        return Err(input.error("expected `,` and the source after the option"));
                    }
                    input.parse::<Token![,]>()?;
                    continue;
                }
            }
            let expr: Expr = input.parse()?;
            if !(input.peek(Token![,]) && more_after_comma(input)) {
                break expr;
            }
            input.parse::<Token![,]>()?;
            if option_name(&expr).is_some() {
                options.push(into_option(expr));
            } else if threads.is_none() && options.is_empty() && error.is_empty() {
                threads = Some(expr);
            } else {
                let why = if options.is_empty() && error.is_empty() {
                    "the thread count is already given"
                } else {
                    "a thread count must come first, before the options"
                };
                return Err(syn::Error::new_spanned(
                    expr,
                    format!("expected an option `name = value` or the source; {why}"),
                ));
            }
        };
        if let Some(name) = option_name(&source) {
            return Err(syn::Error::new_spanned(
                name,
                "expected a source, found what looks like an option; \
                 an option must be followed by `,`",
            ));
        }

        let chain = if input.peek(Token![=>]) {
            let arrow: Token![=>] = input.parse()?;
            parse_chain(input, Place::TopLevel, Some(arrow))?
        } else if input.is_empty() || (input.peek(Token![,]) && !more_after_comma(input)) {
            input.parse::<Option<Token![,]>>()?;
            Chain { elems: Vec::new() }
        } else if let Some(marker) = marker_word(&source) {
            return Err(syn::Error::new_spanned(
                marker,
                format!("`{marker}` marks a stage; a source takes no marker"),
            ));
        } else {
            return Err(input.error("expected `=>` after the source"));
        };
        Ok(Pipeline {
            krate,
            threads,
            options,
            error,
            source,
            chain,
        })
    }
}

/// The marker word `expr` is, if it is one (a source written `ordered data`).
pub(crate) fn marker_word(expr: &Expr) -> Option<&Ident> {
    match expr {
        Expr::Path(path) if path.qself.is_none() => path
            .path
            .get_ident()
            .filter(|ident| MARKERS.contains(&ident.to_string().as_str())),
        _ => None,
    }
}

/// Whether anything but a trailing comma remains (the cursor is on a `,`).
fn more_after_comma(input: ParseStream<'_>) -> bool {
    let fork = input.fork();
    fork.parse::<Token![,]>().is_ok() && !fork.is_empty()
}

/// The option `ident = value`; `option_name` must have accepted `expr`.
fn into_option(expr: Expr) -> Opt {
    match (option_name(&expr).cloned(), expr) {
        (Some(name), Expr::Assign(assign)) => Opt {
            name,
            value: *assign.right,
        },
        _ => unreachable!("not an option"),
    }
}

/// The `ident` of an expression `ident = value`.
fn option_name(expr: &Expr) -> Option<&Ident> {
    match expr {
        Expr::Assign(assign) if assign.attrs.is_empty() => match &*assign.left {
            Expr::Path(path) if path.attrs.is_empty() && path.qself.is_none() => {
                path.path.get_ident()
            }
            _ => None,
        },
        _ => None,
    }
}

/// A chain; `arrow` is the `=>` just consumed in front of it, if any (for error spans).
fn parse_chain(
    input: ParseStream<'_>,
    place: Place,
    mut arrow: Option<Token![=>]>,
) -> syn::Result<Chain> {
    let mut elems = Vec::new();
    loop {
        if input.is_empty() || input.peek(Token![,]) || input.peek(Token![=>]) {
            return Err(match arrow {
                Some(arrow) => syn::Error::new_spanned(arrow, "expected a node after `=>`"),
                None => {
                    input.error("expected a node: a closure such as `|x| x + 1`, or a function")
                }
            });
        }
        elems.push(parse_elem(input)?);

        if input.peek(Token![=>]) {
            arrow = Some(input.parse()?);
            continue;
        }
        match place {
            Place::Branch if input.is_empty() || input.peek(Token![,]) => break,
            Place::Branch => return Err(input.error("expected `=>`, `,` or the end of the group")),
            Place::TopLevel if input.is_empty() => break,
            Place::TopLevel if input.peek(Token![,]) => {
                if more_after_comma(input) {
                    return Err(input.error(
                        "expected `=>` or the end of the pipeline; to send every item to \
                         several nodes, group them: `source => (node_a, node_b)`",
                    ));
                }
                input.parse::<Token![,]>()?; // a trailing comma
                break;
            }
            Place::TopLevel => return Err(input.error("expected `=>` or the end of the pipeline")),
        }
    }
    Ok(Chain { elems })
}

fn parse_elem(input: ParseStream<'_>) -> syn::Result<Elem> {
    if !input.peek(token::Paren) {
        let markers = parse_markers(input)?;
        let expr = input.parse()?;
        return Ok(Elem::Node(Box::new(NodeSpec { markers, expr })));
    }
    let content;
    let paren = parenthesized!(content in input);
    let mut branches = Vec::new();
    while !content.is_empty() {
        branches.push(parse_chain(&content, Place::Branch, None)?);
        // `parse_chain` stops only at the end or in front of a `,`.
        if !content.is_empty() {
            content.parse::<Token![,]>()?;
        }
    }
    Ok(Elem::Group(Group { paren, branches }))
}

/// The markers in front of a node. A marker word counts as one only when a node follows it (a
/// closure, `move`, a path or another marker), so a function or variable that happens to be
/// called `filter` still works as a node.
fn parse_markers(input: ParseStream<'_>) -> syn::Result<Vec<Marker>> {
    let mut markers = Vec::new();
    loop {
        let fork = input.fork();
        let Ok(name) = fork.call(Ident::parse_any) else {
            break;
        };
        if !MARKERS.contains(&name.to_string().as_str()) {
            // A word right before a closure can only have been meant as a marker: as Rust,
            // `orderd |x| x` would be two bitwise ors, and no node.
            if fork.peek(Token![|]) || fork.peek(Token![||]) || fork.peek(Token![move]) {
                return Err(syn::Error::new(
                    name.span(),
                    unknown_marker(&name.to_string()),
                ));
            }
            break;
        }
        let mut arg = None;
        if (name == "priority" || name == "limit" || name == "batch") && fork.peek(token::Paren) {
            let content;
            parenthesized!(content in fork);
            arg = Some(content.parse()?);
        }
        let node_follows = fork.peek(Token![|])
            || fork.peek(Token![||])
            || fork.peek(Token![move])
            || fork.peek(Token![::])
            || fork.peek(Ident::peek_any);
        if !node_follows {
            break;
        }
        input.advance_to(&fork);
        markers.push(Marker { name, arg });
    }
    Ok(markers)
}

/// The error for a word used as a marker that is none: the nearest marker, if one is close.
fn unknown_marker(word: &str) -> String {
    let nearest = MARKERS
        .iter()
        .map(|marker| (edit_distance(word, marker), marker))
        .min()
        .filter(|&(distance, _)| distance <= 2 && distance < word.len());
    let markers = MARKERS.map(|m| format!("`{m}`")).join(", ");
    match nearest {
        Some((_, marker)) => format!("unknown marker `{word}`; did you mean `{marker}`?"),
        None => format!("unknown marker `{word}`; the markers are {markers}"),
    }
}

/// The Levenshtein distance between `a` and `b` (single-character edits), for suggestions.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}
