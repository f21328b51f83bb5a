//! A stage that uses `?` without `try`: rustc reports "the `?` operator can only be used in a
//! closure that returns `Result` or `Option`", but not the fix; this check names it at the `?`.
//!
//! Syntactic and conservative, so that it never rejects a valid closure: only a closure whose
//! value can be neither `Result` nor `Option` — its body (or the tail of its block) is an
//! arithmetic or comparison, a literal, a tuple, an array, a cast, an assignment, or a block
//! ending in `;` — and that uses `?` outside any closure, async block or item nested in it. A
//! closure returning `Option` (`filter_map`, or items that are `Option`s) is left alone.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Expr, Stmt};

use crate::graph::Node;

/// One error per stage, not marked `try`, whose closure uses `?` and cannot return `Result`.
pub(crate) fn question_marks_without_try(nodes: &[Node<'_>]) -> Vec<syn::Error> {
    nodes
        .iter()
        .filter(|node| !node.fallible && node.fold.is_none())
        .filter_map(|node| {
            let Expr::Closure(closure) = node.expr else {
                return None;
            };
            if !matches!(closure.output, syn::ReturnType::Default) || !never_result(&closure.body) {
                return None;
            }
            let mut found = QuestionMark(None);
            found.visit_expr(&closure.body);
            let at = found.0?;
            Some(syn::Error::new(
                at,
                "this stage uses `?`, which needs it to return `Result`: mark it `try` \
                 (`try |x| …`, returning `Ok(value)`) so that an `Err` stops the run and \
                 `pipeline!` returns it",
            ))
        })
        .collect()
}

/// Whether `body`'s value is certainly neither a `Result` nor an `Option`.
fn never_result(body: &Expr) -> bool {
    match body {
        Expr::Binary(_)
        | Expr::Assign(_)
        | Expr::Lit(_)
        | Expr::Tuple(_)
        | Expr::Array(_)
        | Expr::Cast(_)
        | Expr::Range(_) => true,
        Expr::Paren(paren) => never_result(&paren.expr),
        Expr::Block(block) if block.label.is_none() => match block.block.stmts.last() {
            // `{ …; }`: `()`, unless the last statement leaves the closure.
            Some(Stmt::Expr(last, Some(_))) => !matches!(last, Expr::Return(_)),
            Some(Stmt::Expr(last, None)) => never_result(last),
            _ => false,
        },
        _ => false,
    }
}

/// The first `?` of the closure's own body.
struct QuestionMark(Option<Span>);

impl Visit<'_> for QuestionMark {
    fn visit_expr_try(&mut self, expr: &syn::ExprTry) {
        if self.0.is_none() {
            self.0 = Some(expr.question_token.span());
        }
        visit::visit_expr_try(self, expr);
    }

    // Nested closures, async blocks and items have a `?` of their own.
    fn visit_expr_closure(&mut self, _closure: &syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _block: &syn::ExprAsync) {}
    fn visit_item(&mut self, _item: &syn::Item) {}
}
