//! A node's display name (`NodeInfo::name`): its tokens, spaced roughly as a person writes them.
//!
//! The source text itself is out of reach on stable Rust (joining the spans of an expression's
//! first and last tokens is a nightly API), and `TokenStream`'s `Display` spaces every token
//! (`| x | (x * 2 , x)`), so the tokens are printed here with a few spacing rules: enough for a
//! closure or a call to read naturally in a profile or a panic message, nothing more.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use quote::ToTokens;

/// Names longer than this (in characters) are cut, and end with `…`.
const MAX_CHARS: usize = 60;

/// Keywords after which a group is not a call's argument list: `if (a)`, `in [1, 2]`.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "dyn", "else", "for", "if", "impl", "in", "let",
    "loop", "match", "move", "mut", "ref", "return", "static", "unsafe", "where", "while", "yield",
];

pub(crate) fn node_name(expr: &impl ToTokens) -> String {
    let mut out = String::new();
    print(&mut out, expr.to_token_stream());
    match out.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", out[..cut].trim_end()),
        None => out,
    }
}

/// The previous token, as far as spacing cares.
#[derive(Clone, PartialEq)]
enum Prev {
    Start,
    Ident(String),
    Literal,
    /// A closed `(…)` or `[…]` (a call or an index may follow directly).
    Group,
    /// A closed `{…}`.
    Block,
    /// An operator, multi-character ones whole (`=>`, `+=`, `::`); `unary` if it binds to what
    /// follows (`-x`, `&mut x`, `a.b`, the `|` opening a closure's parameters).
    Op {
        op: String,
        unary: bool,
    },
}

/// Operators made of several puncts, longest first so that a greedy split finds them.
const OPERATORS: &[&str] = &[
    "<<=", ">>=", "...", "..=", "::", "=>", "->", "..", "==", "!=", "<=", ">=", "&&", "||", "+=",
    "-=", "*=", "/=", "%=", "^=", "&=", "|=", "<<", ">>",
];

struct Printer {
    out: String,
    prev: Prev,
    /// Between the `|`s of a closure's parameters.
    in_params: bool,
    /// Nesting inside a turbofish `::<…>`.
    angle_depth: usize,
}

fn print(out: &mut String, tokens: TokenStream) {
    let mut p = Printer {
        out: String::new(),
        prev: Prev::Start,
        in_params: false,
        angle_depth: 0,
    };
    let mut tokens = tokens.into_iter().peekable();
    while let Some(tt) = tokens.next() {
        match tt {
            TokenTree::Punct(first) => {
                // Puncts written together (`=>`, but also `|-` in `|x|-x`): split the run into
                // operators. `'` is joint with a lifetime's name, an ident, so it stands alone.
                let mut run = first.as_char().to_string();
                let mut spacing = first.spacing();
                while spacing == Spacing::Joint && run != "'" {
                    let Some(TokenTree::Punct(next)) = tokens.peek() else {
                        break;
                    };
                    run.push(next.as_char());
                    spacing = next.spacing();
                    tokens.next();
                }
                let mut rest = run.as_str();
                while !rest.is_empty() {
                    let len = OPERATORS
                        .iter()
                        .find(|op| rest.starts_with(**op))
                        .map_or(1, |op| op.len());
                    p.op(&rest[..len]);
                    rest = &rest[len..];
                }
            }
            TokenTree::Group(group) => p.group(group.delimiter(), group.stream()),
            TokenTree::Ident(ident) => {
                p.space();
                let ident = ident.to_string();
                p.out.push_str(&ident);
                p.prev = Prev::Ident(ident);
            }
            TokenTree::Literal(lit) => {
                p.space();
                p.out.push_str(&lit.to_string());
                p.prev = Prev::Literal;
            }
        }
    }
    out.push_str(&p.out);
}

impl Printer {
    fn op(&mut self, op: &str) {
        let prev = &self.prev;
        let prefix = matches!(prev, Prev::Start | Prev::Op { .. })
            || matches!(prev, Prev::Ident(kw) if KEYWORDS.contains(&kw.as_str()));
        let after_colons = prev_is(prev, "::");
        let tight_before = matches!(op, "," | ";" | "." | "?" | ":" | "::" | "..")
            || (op == "!" && matches!(prev, Prev::Ident(_))) // a macro call
            || (op == "|" && self.in_params)
            || (op == ">" && self.angle_depth > 0)
            || (op == "<" && after_colons);
        if !tight_before {
            self.space();
        }
        self.out.push_str(op);
        match op {
            "|" if self.in_params => self.in_params = false,
            "|" if prefix => self.in_params = true,
            "<" if after_colons || self.angle_depth > 0 => self.angle_depth += 1,
            ">" if self.angle_depth > 0 => self.angle_depth -= 1,
            _ => {}
        }
        let unary = (prefix && matches!(op, "-" | "!" | "*" | "&" | "&&"))
            || (op == "|" && self.in_params)
            || (op == "<" && self.angle_depth > 0)
            || matches!(op, "." | "::" | ".." | "'" | "#");
        self.prev = Prev::Op {
            op: op.to_owned(),
            unary,
        };
    }

    fn group(&mut self, delimiter: Delimiter, stream: TokenStream) {
        let (open, close) = match delimiter {
            Delimiter::Parenthesis => ("(", ")"),
            Delimiter::Bracket => ("[", "]"),
            Delimiter::Brace => ("{ ", " }"),
            Delimiter::None => ("", ""),
        };
        let call = matches!(&self.prev, Prev::Ident(id) if !KEYWORDS.contains(&id.as_str()))
            || matches!(self.prev, Prev::Group)
            || prev_is(&self.prev, "!");
        if delimiter == Delimiter::Brace || !call {
            self.space();
        }
        let mut inner = String::new();
        print(&mut inner, stream);
        if inner.is_empty() {
            self.out.push_str(open.trim_end());
            self.out.push_str(close.trim_start());
        } else {
            self.out.push_str(open);
            self.out.push_str(&inner);
            self.out.push_str(close);
        }
        self.prev = match delimiter {
            Delimiter::Brace => Prev::Block,
            _ => Prev::Group,
        };
    }

    /// A space before the next token, unless the previous one binds to it.
    fn space(&mut self) {
        match self.prev {
            Prev::Start | Prev::Op { unary: true, .. } => {}
            _ => self.out.push(' '),
        }
    }
}

fn prev_is(prev: &Prev, s: &str) -> bool {
    matches!(prev, Prev::Op { op, .. } if op == s)
}

#[cfg(test)]
mod tests {
    use super::node_name;
    use quote::quote;

    fn name(tokens: proc_macro2::TokenStream) -> String {
        node_name(&tokens)
    }

    #[test]
    fn closures_read_naturally() {
        assert_eq!(name(quote!(|x| (x * 2, x))), "|x| (x * 2, x)");
        assert_eq!(name(quote!(|(x2, x)| x2 - x)), "|(x2, x)| x2 - x");
        assert_eq!(name(quote!(|x| -x)), "|x| -x");
        assert_eq!(name(quote!(|x| sum += x)), "|x| sum += x");
        assert_eq!(
            name(quote!(move |x: &u8| *x as u32)),
            "move |x: &u8| *x as u32"
        );
        assert_eq!(name(quote!(|| 1)), "|| 1");
        assert_eq!(name(quote!(|a, b| a || b)), "|a, b| a || b");
        assert_eq!(name(quote!(|x| -x)), "|x| -x");
        assert_eq!(name(quote!(|x| x & -x)), "|x| x & -x");
    }

    #[test]
    fn calls_paths_and_macros() {
        assert_eq!(name(quote!(data)), "data");
        assert_eq!(name(quote!(0..100)), "0..100");
        assert_eq!(name(quote!(v.iter().map(f))), "v.iter().map(f)");
        assert_eq!(name(quote!(std::mem::drop)), "std::mem::drop");
        assert_eq!(name(quote!(Vec::<u8>::new())), "Vec::<u8>::new()");
        assert_eq!(name(quote!(|x| println!("{x}"))), "|x| println!(\"{x}\")");
        assert_eq!(
            name(quote!(|x| {
                a[x] = !b;
            })),
            "|x| { a[x] = !b; }"
        );
        assert_eq!(name(quote!(|x: &'static str| x)), "|x: &'static str| x");
        assert_eq!(name(quote!(if a { b } else { c })), "if a { b } else { c }");
        assert_eq!(name(quote!(|x| x.0 & 1)), "|x| x.0 & 1");
    }

    #[test]
    fn long_names_are_cut() {
        let long = name(quote!(|x| a_rather_long_function_name(
            x,
            another_long_argument_name,
            yet_another
        )));
        assert_eq!(long.chars().count(), 61);
        assert!(long.ends_with('…'));
    }
}
