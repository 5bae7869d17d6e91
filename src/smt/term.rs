//! Solver-agnostic terms, built only through smart constructors, and their SMT-LIB 2.6
//! text. The backend loads that text; golden snapshots and proof files are that text too.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use crate::policy::Cmp;

/// Sorts of declared constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sort {
    Bool,
    Int,
    Real,
    Str,
    Bv(u32),
}

/// A Boolean term.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum F {
    Const(bool),
    Var(String),
    Not(Box<F>),
    /// Boolean equivalence.
    Iff(Box<F>, Box<F>),
    And(Vec<F>),
    Or(Vec<F>),
    /// Integer constant compared with a literal.
    IntCmp(String, Cmp, i64),
    /// Real constant compared with a decimal literal.
    RealCmp(String, Cmp, Decimal),
    /// `(bvand v mask) = value` on a bit-vector constant of `width` bits.
    BvMasked {
        var: String,
        width: u32,
        mask: u128,
        value: u128,
    },
    InRe(S, Re),
    StrEq(S, S),
    /// The first string is a prefix of the second.
    PrefixOf(S, S),
    /// The first string is a suffix of the second.
    SuffixOf(S, S),
    /// The first string contains the second.
    Contains(S, S),
    /// `a >= b` on integer terms.
    IntGe(I, I),
}

/// An integer term over strings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum I {
    Lit(i64),
    Len(S),
    Add(Box<I>, Box<I>),
    /// `(str.indexof a b from)`: the first position at or after `from` where `b` occurs
    /// in `a`, or -1.
    IndexOf(S, S, Box<I>),
}

/// A string term.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum S {
    Var(String),
    Lit(String),
    Concat(Vec<S>),
    Ite(Box<F>, Box<S>, Box<S>),
    /// What follows the prefix `b` in `a`: `(str.substr a (str.len b) (- (str.len a) (str.len b)))`.
    After(Box<S>, Box<S>),
    /// What precedes the suffix `b` in `a`: `(str.substr a 0 (- (str.len a) (str.len b)))`.
    Before(Box<S>, Box<S>),
    /// What follows position `i` in `a`: `(str.substr a i (- (str.len a) i))`.
    From(Box<S>, Box<I>),
}

/// A regular expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Re {
    Lit(String),
    AllChar,
    /// Any one character except `:`.
    NoColon,
    /// Any one of these characters.
    Chars(Vec<char>),
    Star(Box<Re>),
    Concat(Vec<Re>),
}

pub fn t() -> F {
    F::Const(true)
}

pub fn f() -> F {
    F::Const(false)
}

pub fn var(name: &str) -> F {
    F::Var(name.to_string())
}

pub fn not(a: F) -> F {
    match a {
        F::Const(b) => F::Const(!b),
        F::Not(inner) => *inner,
        other => F::Not(Box::new(other)),
    }
}

/// A flattened, de-duplicated conjunction (`is_and`) or disjunction: the unit constant
/// drops out, the absorbing one decides.
fn junction(items: impl IntoIterator<Item = F>, is_and: bool) -> F {
    let unit = F::Const(is_and);
    let mut out: Vec<F> = Vec::new();
    // Duplicates are found by hash: junctions over thousands of regions are common.
    let mut seen: rustc_hash::FxHashSet<u64> = rustc_hash::FxHashSet::default();
    let mut push = |x: F, out: &mut Vec<F>| {
        use std::hash::{BuildHasher, BuildHasherDefault};
        let h = BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(&x);
        if seen.insert(h) || !out.contains(&x) {
            out.push(x);
        }
    };
    for i in items {
        match i {
            F::Const(b) if b == is_and => {}
            F::Const(_) => return F::Const(!is_and),
            F::And(inner) if is_and => inner.into_iter().for_each(|x| push(x, &mut out)),
            F::Or(inner) if !is_and => inner.into_iter().for_each(|x| push(x, &mut out)),
            x => push(x, &mut out),
        }
    }
    match out.len() {
        0 => unit,
        1 => out.pop().unwrap_or(unit),
        _ if is_and => F::And(out),
        _ => F::Or(out),
    }
}

pub fn and(items: impl IntoIterator<Item = F>) -> F {
    junction(items, true)
}

pub fn or(items: impl IntoIterator<Item = F>) -> F {
    junction(items, false)
}

pub fn implies(a: F, b: F) -> F {
    or([not(a), b])
}

pub fn iff(a: F, b: F) -> F {
    match (&a, &b) {
        (F::Const(x), _) => {
            if *x {
                b
            } else {
                not(b)
            }
        }
        (_, F::Const(y)) => {
            if *y {
                a
            } else {
                not(a)
            }
        }
        _ if a == b => t(),
        _ => F::Iff(Box::new(a), Box::new(b)),
    }
}

/// Membership, as an equality when the language is one literal string (which string
/// solvers handle far better than a regular expression).
pub fn in_re(s: S, re: Re) -> F {
    match re {
        Re::Lit(text) => F::StrEq(s, S::Lit(text)),
        Re::Star(inner) if *inner == Re::AllChar => t(),
        other => F::InRe(s, other),
    }
}

/// `lo <= name <= hi` for an integer constant.
pub fn int_range(name: &str, lo: i64, hi: i64) -> F {
    and([
        F::IntCmp(name.to_string(), Cmp::Ge, lo),
        F::IntCmp(name.to_string(), Cmp::Le, hi),
    ])
}

pub fn int_eq(name: &str, v: i64) -> F {
    F::IntCmp(name.to_string(), Cmp::Eq, v)
}

/// Concatenation that merges adjacent literals.
pub fn concat(parts: Vec<S>) -> S {
    let mut out: Vec<S> = Vec::new();
    for p in parts {
        let p = match p {
            S::Concat(inner) => {
                for q in inner {
                    push_s(&mut out, q);
                }
                continue;
            }
            other => other,
        };
        push_s(&mut out, p);
    }
    match out.len() {
        0 => S::Lit(String::new()),
        1 => out.pop().unwrap_or(S::Lit(String::new())),
        _ => S::Concat(out),
    }
}

fn push_s(out: &mut Vec<S>, p: S) {
    if let (Some(S::Lit(prev)), S::Lit(next)) = (out.last_mut(), &p) {
        prev.push_str(next);
        return;
    }
    if p != S::Lit(String::new()) {
        out.push(p);
    }
}

/// Regex concatenation that merges adjacent literals.
pub fn re_concat(parts: Vec<Re>) -> Re {
    let mut out: Vec<Re> = Vec::new();
    for p in parts {
        if let (Some(Re::Lit(prev)), Re::Lit(next)) = (out.last_mut(), &p) {
            prev.push_str(next);
            continue;
        }
        out.push(p);
    }
    match out.len() {
        0 => Re::Lit(String::new()),
        1 => out.pop().unwrap_or(Re::Lit(String::new())),
        _ => Re::Concat(out),
    }
}

/// An SMT-LIB string literal: printable ASCII as is (quotes doubled); everything else,
/// and the backslash, as `\u{..}` so no reader can misread it.
pub fn string_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\"\""),
            '\\' => out.push_str("\\u{5c}"),
            ' '..='~' => out.push(c),
            other => {
                let _ = write!(out, "\\u{{{:x}}}", other as u32);
            }
        }
    }
    out.push('"');
    out
}

/// Decodes a string as Z3 prints model values (`\u{..}` escapes). A raw backslash is
/// kept; the strings backend forbids the ambiguous `\u{` in values.
pub fn decode_model_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("\\u{") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 3..];
        let decoded = after.find('}').and_then(|end| {
            u32::from_str_radix(&after[..end], 16)
                .ok()
                .and_then(char::from_u32)
                .map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push_str("\\u{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn decimal_literal(d: &Decimal) -> String {
    let text = d.abs().normalize().to_string();
    let text = if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    };
    if d.is_sign_negative() && !d.is_zero() {
        format!("(- {text})")
    } else {
        text
    }
}

fn int_literal(v: i64) -> String {
    if v < 0 {
        format!("(- {})", v.unsigned_abs())
    } else {
        v.to_string()
    }
}

fn cmp_op(c: Cmp) -> &'static str {
    match c {
        Cmp::Eq => "=",
        Cmp::Lt => "<",
        Cmp::Le => "<=",
        Cmp::Gt => ">",
        Cmp::Ge => ">=",
    }
}

fn bv_literal(v: u128, width: u32) -> String {
    format!("(_ bv{v} {width})")
}

impl F {
    /// SMT-LIB text of this term.
    pub fn smt(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            F::Const(b) => out.push_str(if *b { "true" } else { "false" }),
            F::Var(v) => out.push_str(v),
            F::Not(a) => {
                out.push_str("(not ");
                a.write(out);
                out.push(')');
            }
            F::Iff(a, b) => {
                out.push_str("(= ");
                a.write(out);
                out.push(' ');
                b.write(out);
                out.push(')');
            }
            F::And(items) | F::Or(items) => {
                out.push_str(if matches!(self, F::And(_)) {
                    "(and"
                } else {
                    "(or"
                });
                for i in items {
                    out.push(' ');
                    i.write(out);
                }
                out.push(')');
            }
            F::IntCmp(v, c, k) => {
                let _ = write!(out, "({} {v} {})", cmp_op(*c), int_literal(*k));
            }
            F::RealCmp(v, c, k) => {
                let _ = write!(out, "({} {v} {})", cmp_op(*c), decimal_literal(k));
            }
            F::BvMasked {
                var,
                width,
                mask,
                value,
            } => {
                let _ = write!(
                    out,
                    "(= (bvand {var} {}) {})",
                    bv_literal(*mask, *width),
                    bv_literal(*value, *width)
                );
            }
            F::InRe(s, re) => {
                out.push_str("(str.in_re ");
                s.write(out);
                out.push(' ');
                re.write(out);
                out.push(')');
            }
            F::StrEq(a, b) => {
                out.push_str("(= ");
                a.write(out);
                out.push(' ');
                b.write(out);
                out.push(')');
            }
            F::Contains(a, b) => {
                out.push_str("(str.contains ");
                a.write(out);
                out.push(' ');
                b.write(out);
                out.push(')');
            }
            F::PrefixOf(a, b) => {
                out.push_str("(str.prefixof ");
                a.write(out);
                out.push(' ');
                b.write(out);
                out.push(')');
            }
            F::SuffixOf(a, b) => {
                out.push_str("(str.suffixof ");
                a.write(out);
                out.push(' ');
                b.write(out);
                out.push(')');
            }
            F::IntGe(a, b) => {
                out.push_str("(>= ");
                a.write(out);
                out.push(' ');
                b.write(out);
                out.push(')');
            }
        }
    }
}

impl S {
    /// SMT-LIB text of this term.
    pub fn smt(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            S::Var(v) => out.push_str(v),
            S::Lit(s) => out.push_str(&string_literal(s)),
            S::Concat(items) => {
                out.push_str("(str.++");
                for i in items {
                    out.push(' ');
                    i.write(out);
                }
                out.push(')');
            }
            S::Ite(c, a, b) => {
                out.push_str("(ite ");
                c.write(out);
                out.push(' ');
                a.write(out);
                out.push(' ');
                b.write(out);
                out.push(')');
            }
            S::After(a, b) => {
                let mut sa = String::new();
                a.write(&mut sa);
                let mut sb = String::new();
                b.write(&mut sb);
                let _ = write!(
                    out,
                    "(str.substr {sa} (str.len {sb}) (- (str.len {sa}) (str.len {sb})))"
                );
            }
            S::Before(a, b) => {
                let mut sa = String::new();
                a.write(&mut sa);
                let mut sb = String::new();
                b.write(&mut sb);
                let _ = write!(out, "(str.substr {sa} 0 (- (str.len {sa}) (str.len {sb})))");
            }
            S::From(a, i) => {
                let mut sa = String::new();
                a.write(&mut sa);
                let mut si = String::new();
                i.write(&mut si);
                let _ = write!(out, "(str.substr {sa} {si} (- (str.len {sa}) {si}))");
            }
        }
    }
}

impl I {
    fn write(&self, out: &mut String) {
        match self {
            I::Lit(n) if *n < 0 => {
                let _ = write!(out, "(- {})", n.unsigned_abs());
            }
            I::Lit(n) => {
                let _ = write!(out, "{n}");
            }
            I::Len(s) => {
                out.push_str("(str.len ");
                s.write(out);
                out.push(')');
            }
            I::Add(a, b) => {
                out.push_str("(+ ");
                a.write(out);
                out.push(' ');
                b.write(out);
                out.push(')');
            }
            I::IndexOf(a, b, from) => {
                out.push_str("(str.indexof ");
                a.write(out);
                out.push(' ');
                b.write(out);
                out.push(' ');
                from.write(out);
                out.push(')');
            }
        }
    }
}

impl Re {
    fn write(&self, out: &mut String) {
        match self {
            Re::Lit(s) => {
                let _ = write!(out, "(str.to_re {})", string_literal(s));
            }
            Re::AllChar => out.push_str("re.allchar"),
            Re::NoColon => out.push_str("(re.inter re.allchar (re.comp (str.to_re \":\")))"),
            Re::Chars(cs) => {
                // Runs of consecutive characters print as ranges.
                let mut sorted = cs.clone();
                sorted.sort_unstable();
                sorted.dedup();
                let mut runs: Vec<(char, char)> = Vec::new();
                for c in sorted {
                    match runs.last_mut() {
                        Some((_, hi)) if (*hi as u32) + 1 == c as u32 => *hi = c,
                        _ => runs.push((c, c)),
                    }
                }
                let item = |(lo, hi): (char, char)| {
                    if lo == hi {
                        format!("(str.to_re {})", string_literal(&lo.to_string()))
                    } else {
                        format!(
                            "(re.range {} {})",
                            string_literal(&lo.to_string()),
                            string_literal(&hi.to_string())
                        )
                    }
                };
                if runs.len() == 1 {
                    out.push_str(&item(runs[0]));
                } else {
                    out.push_str("(re.union");
                    for r in runs {
                        out.push(' ');
                        out.push_str(&item(r));
                    }
                    out.push(')');
                }
            }
            Re::Star(inner) => {
                out.push_str("(re.* ");
                inner.write(out);
                out.push(')');
            }
            Re::Concat(items) => {
                out.push_str("(re.++");
                for i in items {
                    out.push(' ');
                    i.write(out);
                }
                out.push(')');
            }
        }
    }
}

/// A self-contained SMT-LIB script: declarations, commented definitions and assertions.
#[derive(Debug, Clone)]
pub struct Script {
    /// The SMT-LIB logic: `QF_LIA` for the finitized encoding, `ALL` otherwise.
    pub logic: &'static str,
    decls: Vec<(String, Sort)>,
    body: Vec<(String, F)>,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            logic: "ALL",
            decls: Vec::new(),
            body: Vec::new(),
        }
    }
}

impl Script {
    pub fn new(logic: &'static str) -> Script {
        Script {
            logic,
            ..Script::default()
        }
    }

    pub fn declare(&mut self, name: &str, sort: Sort) {
        if !self.decls.iter().any(|(n, _)| n == name) {
            self.decls.push((name.to_string(), sort));
        }
    }

    pub fn decls(&self) -> &[(String, Sort)] {
        &self.decls
    }

    /// The asserted terms, each with its comment.
    pub fn assertions(&self) -> &[(String, F)] {
        &self.body
    }

    /// Asserts a term, with a comment saying where it comes from.
    pub fn assert(&mut self, comment: impl Into<String>, term: F) {
        self.body.push((comment.into(), term));
    }

    /// Declares Boolean `name` and asserts `name = term`; returns the name as a term.
    pub fn define(&mut self, name: &str, comment: impl Into<String>, term: F) -> F {
        self.declare(name, Sort::Bool);
        self.assert(comment, iff(var(name), term));
        var(name)
    }

    pub fn text(&self) -> String {
        let mut out = format!("(set-logic {})\n", self.logic);
        for (name, sort) in &self.decls {
            let sort = match sort {
                Sort::Bool => "Bool".to_string(),
                Sort::Int => "Int".to_string(),
                Sort::Real => "Real".to_string(),
                Sort::Str => "String".to_string(),
                Sort::Bv(w) => format!("(_ BitVec {w})"),
            };
            let _ = writeln!(out, "(declare-const {name} {sort})");
        }
        for (comment, term) in &self.body {
            for line in comment.lines() {
                let _ = writeln!(out, "; {line}");
            }
            let _ = writeln!(out, "(assert {})", term.smt());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_fold_constants_and_flatten() {
        assert_eq!(and([t(), var("a")]), var("a"));
        assert_eq!(and([f(), var("a")]), f());
        assert_eq!(or([t(), var("a")]), t());
        assert_eq!(
            or([var("a"), or([var("b"), var("a")])]),
            F::Or(vec![var("a"), var("b")])
        );
        assert_eq!(not(not(var("a"))), var("a"));
        assert_eq!(iff(t(), var("a")), var("a"));
    }

    #[test]
    fn literals_escape_everything_unreadable() {
        assert_eq!(string_literal("a\"b"), "\"a\"\"b\"");
        assert_eq!(string_literal("\\u{41}é"), "\"\\u{5c}u{41}\\u{e9}\"");
        assert_eq!(decode_model_string("p\\u{e9}:\\x"), "pé:\\x");
        assert_eq!(decode_model_string("\\u{zz}"), "\\u{zz}");
    }

    #[test]
    fn printing() {
        let term = and([
            F::InRe(
                S::Var("action".into()),
                re_concat(vec![
                    Re::Lit("s3:".into()),
                    Re::Lit("get".into()),
                    Re::Star(Box::new(Re::AllChar)),
                ]),
            ),
            F::RealCmp("n".into(), Cmp::Lt, Decimal::new(-25, 1)),
            F::IntCmp("d".into(), Cmp::Ge, -5),
        ]);
        assert_eq!(
            term.smt(),
            "(and (str.in_re action (re.++ (str.to_re \"s3:get\") (re.* re.allchar))) (< n (- 2.5)) (>= d (- 5)))"
        );
        assert_eq!(
            concat(vec![S::Lit("a".into()), S::Lit("b".into())]),
            S::Lit("ab".into())
        );
    }
}
