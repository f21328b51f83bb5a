//! Fold sinks as written: `fold(init, add, merge)` and `reduce(init, op)` in a sink's place.
//!
//! Both read as a call of a function named `fold` or `reduce`, which is what they are not: the
//! macro takes them apart (para-core's `fold.rs` runs them, one accumulator per worker) and
//! `pipeline!` returns their result. So in a node's place the two words are reserved; a user's
//! own function of that name is still reachable by its path (`self::fold(…)`).

use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Token};

use crate::graph::Node;

/// A fold sink's call, taken apart.
#[derive(Clone, Copy)]
pub(crate) struct FoldCall<'a> {
    /// `fold` or `reduce`.
    pub(crate) word: &'a Ident,
    /// `reduce(init, op)`: `op` both adds and merges.
    pub(crate) reduce: bool,
    pub(crate) args: &'a Punctuated<Expr, Token![,]>,
}

impl<'a> FoldCall<'a> {
    /// The expression that makes an empty accumulator.
    pub(crate) fn init(&self) -> &'a Expr {
        &self.args[0]
    }

    /// The expression that adds an item (`reduce`: and merges).
    pub(crate) fn add(&self) -> &'a Expr {
        &self.args[1]
    }

    /// The expression that merges two accumulators (`fold` only).
    pub(crate) fn merge(&self) -> Option<&'a Expr> {
        (!self.reduce).then(|| &self.args[2])
    }

    fn arity(&self) -> usize {
        if self.reduce {
            2
        } else {
            3
        }
    }
}

/// `expr` as a fold sink's call, if it is one: `fold(…)` or `reduce(…)`, the word alone.
pub(crate) fn fold_call(expr: &Expr) -> Option<FoldCall<'_>> {
    let Expr::Call(call) = expr else {
        return None;
    };
    let Expr::Path(path) = &*call.func else {
        return None;
    };
    let word = path.path.get_ident()?;
    if path.qself.is_some() || !(word == "fold" || word == "reduce") {
        return None;
    }
    Some(FoldCall {
        word,
        reduce: word == "reduce",
        args: &call.args,
    })
}

/// The mistakes in writing a fold sink: not last, the wrong number of arguments, a marker
/// that does not apply.
pub(crate) fn check(nodes: &[Node<'_>]) -> Vec<syn::Error> {
    let mut errors = Vec::new();
    for node in nodes {
        let Some(fold) = node.fold else { continue };
        let word = fold.word;
        let mut error = |at: &dyn quote::ToTokens, message: String| {
            errors.push(syn::Error::new_spanned(at, message));
        };
        if !node.succs.is_empty() {
            error(
                word,
                format!(
                    "`{word}(…)` is a sink: it ends its chain, and `pipeline!` returns its result; \
                     put it last (to fold and go on, use a `serial` stage)"
                ),
            );
        }
        if fold.args.len() != fold.arity() {
            let form = if fold.reduce {
                "`reduce(init, op)`, as in `reduce(|| 0, |a, b| a + b)`: `op` adds an item to an \
                 accumulator and merges two"
            } else {
                "`fold(init, add, merge)`, as in `fold(|| 0, |sum, x| sum + x, |a, b| a + b)`: \
                 `init` makes an accumulator, `add` adds an item to one, `merge` merges two"
            };
            error(
                word,
                format!(
                    "`{word}` takes {} closures, not {}: {form}",
                    fold.arity(),
                    fold.args.len()
                ),
            );
        }
        for marker in node.markers {
            let name = &marker.name;
            match name.to_string().as_str() {
                "serial" | "ordered" => error(
                    name,
                    format!(
                        "a `{word}` sink runs on every worker at once, each into its own \
                         accumulator, so it cannot be `{name}`; for a sink that sees one item at \
                         a time (in order: `ordered`), write a closure: `{name} |x| …`"
                    ),
                ),
                "limit" => error(name, format!("`limit` is not supported on a `{word}` sink")),
                "try" if fold.reduce => error(
                    name,
                    "`reduce` has no `try` form: write `try fold(init, add, merge)`, whose `add` \
                     returns `Result`"
                        .to_owned(),
                ),
                _ => {}
            }
        }
    }
    errors
}
