//! A stateless stage that assigns to captured state: the mistake of writing a stateful stage
//! without `serial`. rustc reports it too ("cannot assign to `sum`, as it is a captured variable
//! in a `Fn` closure"), but without the fix; this check names the fix at the assignment.
//!
//! Syntactic and conservative: in a stateless stage's closure, an assignment (`=`, `+=`, …) to a
//! name, or to a field of a name, that no pattern anywhere in the closure binds can only be to a
//! captured variable (statics are left alone: names in capitals).

use std::collections::HashSet;

use syn::visit::{self, Visit};
use syn::{Expr, ExprBinary, Ident, Pat};

use crate::graph::{Kind, Node};

/// One error per stateless stage that assigns to a captured variable.
pub(crate) fn captured_assignments(nodes: &[Node<'_>]) -> Vec<syn::Error> {
    nodes
        .iter()
        .filter(|node| matches!(node.kind, Kind::Parallel | Kind::ParallelSink))
        .filter_map(|node| {
            let Expr::Closure(closure) = node.expr else {
                return None;
            };
            let mut bound = Bindings::default();
            bound.visit_expr_closure(closure);
            let mut assigned = Assignments {
                bound: &bound.names,
                first: None,
            };
            assigned.visit_expr(&closure.body);
            let target = assigned.first?;
            let what = if node.kind == Kind::ParallelSink {
                "a `parallel` sink is stateless (`Fn`)"
            } else {
                "a stage is stateless (`Fn`) and runs on many workers at once"
            };
            let fix = if node.kind == Kind::ParallelSink {
                "drop `parallel` to make it a stateful sink"
            } else {
                "mark the stage `serial` to keep state in it (`serial |x| …`), or move the \
                 assignment into the sink"
            };
            Some(syn::Error::new(
                target.span(),
                format!("{what}: it cannot assign to `{target}`; {fix}"),
            ))
        })
        .collect()
}

/// Every name a pattern binds, anywhere in the closure (parameters, `let`, `for`, `match`).
#[derive(Default)]
struct Bindings {
    names: HashSet<String>,
}

impl Visit<'_> for Bindings {
    fn visit_pat(&mut self, pat: &Pat) {
        if let Pat::Ident(ident) = pat {
            self.names.insert(ident.ident.to_string());
        }
        visit::visit_pat(self, pat);
    }
}

/// The first assignment to a name no pattern binds.
struct Assignments<'b> {
    bound: &'b HashSet<String>,
    first: Option<Ident>,
}

impl Assignments<'_> {
    fn target(&mut self, place: &Expr) {
        let base = match place {
            Expr::Path(path) => path.path.get_ident(),
            Expr::Field(field) => match &*field.base {
                Expr::Path(path) => path.path.get_ident(),
                _ => None,
            },
            _ => None,
        };
        let Some(name) = base else { return };
        let text = name.to_string();
        let is_static = text
            .chars()
            .all(|c| c.is_uppercase() || c == '_' || c.is_ascii_digit());
        if self.first.is_none() && !self.bound.contains(&text) && !is_static {
            self.first = Some(name.clone());
        }
    }
}

impl Visit<'_> for Assignments<'_> {
    fn visit_expr_assign(&mut self, assign: &syn::ExprAssign) {
        self.target(&assign.left);
        visit::visit_expr_assign(self, assign);
    }

    fn visit_expr_binary(&mut self, binary: &ExprBinary) {
        use syn::BinOp::*;
        if matches!(
            binary.op,
            AddAssign(_)
                | SubAssign(_)
                | MulAssign(_)
                | DivAssign(_)
                | RemAssign(_)
                | BitXorAssign(_)
                | BitAndAssign(_)
                | BitOrAssign(_)
                | ShlAssign(_)
                | ShrAssign(_)
        ) {
            self.target(&binary.left);
        }
        visit::visit_expr_binary(self, binary);
    }

    // A closure inside the stage is checked by rustc on its own terms.
    fn visit_expr_closure(&mut self, _closure: &syn::ExprClosure) {}
}
