//! Atoms as formulas over strings: a pattern as a regular expression over the whole
//! value or its six ARN fields, a policy variable as text related to another key's
//! value, and the typed comparisons (numbers, dates, addresses) on their views.

use std::collections::BTreeSet;

use ipnet::IpNet;

use crate::pattern::{Part, Tok, literal_text};
use crate::policy::{BaseOp, Cmp, CondValue};

use crate::smt::encode::{Atom, Pred, Var};
use crate::smt::regions::{self, case_variants};
use crate::smt::term::{self, F, I, Re, S, Sort, and, concat, implies, int_eq, not, or};

use super::{Other, SlotTerms, Strings};

pub(super) fn glob_re(toks: &[Tok], folded: bool) -> Re {
    term::re_concat(
        toks.iter()
            .map(|t| match t {
                Tok::Lit(c) if folded => {
                    let v = case_variants(*c);
                    if v.len() == 1 {
                        Re::Lit(c.to_string())
                    } else {
                        Re::Chars(v)
                    }
                }
                Tok::Lit(c) => Re::Lit(c.to_string()),
                Tok::Any => Re::AllChar,
                Tok::AnyNoColon => Re::NoColon,
                Tok::Star => Re::Star(Box::new(Re::AllChar)),
                Tok::StarNoColon => Re::Star(Box::new(Re::NoColon)),
            })
            .collect(),
    )
}

pub(super) fn net_parts(net: &IpNet) -> (u32, u128, u128) {
    match net {
        IpNet::V4(n) => (
            32,
            u32::from(n.netmask()) as u128,
            u32::from(n.network()) as u128,
        ),
        IpNet::V6(n) => (128, u128::from(n.netmask()), u128::from(n.network())),
    }
}

pub(super) fn cmp_of(op: BaseOp) -> Cmp {
    match op {
        BaseOp::Numeric(c) | BaseOp::Date(c) => c,
        _ => Cmp::Eq,
    }
}

pub(super) fn owner(v: &Var) -> String {
    match v {
        Var::Action => "action".to_string(),
        Var::Resource => "resource".to_string(),
        Var::Principal => "principal".to_string(),
        Var::Key(k) => k.clone(),
    }
}

/// An IAM caller's value: an ARN of six fields.
pub(super) fn caller_shape() -> Atom {
    crate::smt::encode::arn_atom("arn:*:*:*:*:*")
}

/// Six fields: at least five colons (the first five split the fields).
pub(super) fn six_fields() -> Atom {
    crate::smt::encode::arn_atom("*:*:*:*:*:*")
}

/// Whether a pattern has six fields: it then holds five literal colons, so it matches
/// no value with fewer than five.
pub(super) fn has_six_fields(a: &Atom) -> bool {
    matches!(&a.value, CondValue::Pattern(t) if split_fields(&t.parts).len() == 6)
}

/// Regions of the resource values with fewer than five colons (where every pattern of
/// six fields, and so every pattern with a policy variable, is false).
pub(super) fn non_arn_regions(atoms: &[Atom]) -> Option<Vec<(String, Vec<bool>)>> {
    let shape = six_fields();
    let mut globs: Vec<regions::StrGlob> = atoms.iter().filter_map(Atom::glob).collect();
    globs.extend(shape.glob());
    let witnesses = regions::string_witnesses(&globs, 200_000)?;
    let mut seen = BTreeSet::new();
    Some(
        witnesses
            .into_iter()
            .filter(|w| !shape.holds(w))
            .filter_map(|w| {
                let truth: Vec<bool> = atoms.iter().map(|a| a.holds(&w)).collect();
                seen.insert(truth.clone()).then_some((w, truth))
            })
            .collect(),
    )
}

/// Splits template parts into ARN fields on the first five literal colons.
pub(super) fn split_fields(parts: &[Part]) -> Vec<Vec<Part>> {
    let mut fields: Vec<Vec<Part>> = vec![Vec::new()];
    for p in parts {
        if fields.len() < 6 && *p == Part::Tok(Tok::Lit(':')) {
            fields.push(Vec::new());
        } else if let Some(last) = fields.last_mut() {
            last.push(*p);
        }
    }
    fields
}

/// `f0:f1:f2:f3:f4:f5`.
pub(super) fn join_fields(fields: Vec<S>) -> S {
    let mut parts = Vec::with_capacity(11);
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            parts.push(S::Lit(":".into()));
        }
        parts.push(f);
    }
    concat(parts)
}

/// Inside one field no `:` occurs, so colon-bounded wildcards are plain ones.
pub(super) fn field_toks(toks: &[Tok]) -> Vec<Tok> {
    toks.iter()
        .map(|t| match t {
            Tok::StarNoColon => Tok::Star,
            Tok::AnyNoColon => Tok::Any,
            other => *other,
        })
        .collect()
}

impl Strings {
    pub(super) fn atom(&mut self, a: &Atom, slot: &SlotTerms) -> F {
        let Some(arn) = &slot.arn else {
            return self.atom_whole(a, slot);
        };
        let arn_case = self.atom_fields(a, &arn.fields);
        let other_case = match &arn.other {
            Other::Text(_) if arn.few_colons && has_six_fields(a) => term::f(),
            Other::Text(text) => {
                let whole = SlotTerms {
                    text: text.clone(),
                    folded_domain: slot.folded_domain,
                    base: None,
                    arn: None,
                };
                self.atom_whole(a, &whole)
            }
            Other::Regions(var) => match (&self.resource_other, self.resource_atoms.get(a)) {
                (Some(regions), Some(&i)) => or(regions
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, truth))| truth[i])
                    .map(|(r, _)| int_eq(var, r as i64))
                    .collect::<Vec<_>>()),
                (None, _) => self.fail("resource patterns too many to finitize".into()),
                (_, None) => self.fail("internal: unregistered resource atom".into()),
            },
        };
        or([
            and([arn.is_arn.clone(), arn_case]),
            and([not(arn.is_arn.clone()), other_case]),
        ])
    }

    /// An atom on a six-field ARN given by its fields.
    pub(super) fn atom_fields(&mut self, a: &Atom, fields: &[S]) -> F {
        let t = match &a.value {
            CondValue::Pattern(t) => t,
            CondValue::Binary(b) => {
                return F::StrEq(join_fields(fields.to_vec()), S::Lit(b.clone()));
            }
            _ => {
                return self.fail(
                    "a numeric, date or address comparison of the resource or principal".into(),
                );
            }
        };
        if a.account {
            return match t.glob() {
                Some(g) if !g.toks.contains(&Tok::Lit(':')) => {
                    term::in_re(fields[4].clone(), glob_re(&field_toks(&g.toks), t.folded))
                }
                Some(_) => term::f(),
                None => {
                    self.fail("a policy variable in a comparison of `aws:PrincipalAccount`".into())
                }
            };
        }
        let arn_syntax = matches!(a.op, BaseOp::ArnLike | BaseOp::ArnEquals);
        let literal = a.op == BaseOp::StringEquals && !t.folded && !t.has_variables();
        if !arn_syntax && !literal {
            let whole = SlotTerms {
                text: join_fields(fields.to_vec()),
                folded_domain: false,
                base: None,
                arn: None,
            };
            return self.atom_whole(a, &whole);
        }
        let parts = split_fields(&t.parts);
        let n = parts.len();
        let crossing_tail =
            arn_syntax && n < 6 && parts[n - 1].last() == Some(&Part::Tok(Tok::Star));
        if n < 6 && !crossing_tail {
            // Fewer fields than an ARN: only a trailing star reaches the other fields.
            return term::f();
        }
        let mut out = Vec::with_capacity(n);
        for (i, field) in parts.iter().enumerate() {
            // A field with variables points into the whole pattern's list of them.
            let has_vars = field.iter().any(|p| matches!(p, Part::Var(_)));
            // Inside one field no `:` occurs, so colon-bounded wildcards are plain ones.
            let template = crate::pattern::Template {
                parts: field
                    .iter()
                    .map(|p| match p {
                        Part::Tok(Tok::StarNoColon) => Part::Tok(Tok::Star),
                        Part::Tok(Tok::AnyNoColon) => Part::Tok(Tok::Any),
                        other => *other,
                    })
                    .collect(),
                vars: if has_vars { t.vars.clone() } else { Vec::new() },
                folded: false,
            };
            if template.has_variables() {
                out.push(self.template(&template, &fields[i]));
                continue;
            }
            let toks: Vec<Tok> = field
                .iter()
                .filter_map(|p| match p {
                    Part::Tok(t) => Some(*t),
                    _ => None,
                })
                .collect();
            out.push(term::in_re(
                fields[i].clone(),
                glob_re(&field_toks(&toks), false),
            ));
        }
        and(out)
    }

    pub(super) fn atom_whole(&mut self, a: &Atom, slot: &SlotTerms) -> F {
        if a.account {
            return match a.glob() {
                // A folded glob folds its `arn:` prefix too: the case-sensitive shape
                // keeps the prefix exact.
                Some(g) if g.folded => and([
                    term::in_re(slot.text.clone(), glob_re(&g.toks, true)),
                    self.atom_whole(&caller_shape(), slot),
                ]),
                Some(g) => term::in_re(slot.text.clone(), glob_re(&g.toks, false)),
                None => match &a.value {
                    CondValue::Pattern(t) if t.glob().is_some() => term::f(),
                    _ => self.fail(
                        "a typed comparison or a policy variable on `aws:PrincipalAccount`".into(),
                    ),
                },
            };
        }
        let typed = |me: &mut Self, view: &str| -> Option<String> {
            match &slot.base {
                Some(b) => Some(format!("{b}_{view}")),
                None => {
                    me.fail("a numeric, date or address comparison of the action, resource or principal".into());
                    None
                }
            }
        };
        match &a.value {
            CondValue::Pattern(t)
                if matches!(a.op, BaseOp::ArnLike | BaseOp::ArnEquals)
                    && split_fields(&t.parts)
                        .iter()
                        .take(5)
                        .any(|f| f.iter().any(|p| matches!(p, Part::Var(_))))
                    && split_fields(&t.parts).len() == 6 =>
            {
                // An ARN pattern with a variable in fields 1-5 on a plain text (a variable
                // in the resource field is matched on the whole text, more cheaply): the
                // text's fields, cut at its first five colons (a six-field pattern matches
                // no text with fewer), each matched by its own field of the pattern,
                // where `*` stops at no `:` and the forms of `template` apply.
                let colon =
                    |from: I| I::IndexOf(slot.text.clone(), S::Lit(":".into()), Box::new(from));
                let mut cuts = vec![colon(I::Lit(0))];
                for _ in 1..5 {
                    let next = cuts.last().cloned().unwrap_or(I::Lit(0));
                    cuts.push(colon(I::Add(Box::new(next), Box::new(I::Lit(1)))));
                }
                let after = |c: &I| {
                    S::From(
                        Box::new(slot.text.clone()),
                        Box::new(I::Add(Box::new(c.clone()), Box::new(I::Lit(1)))),
                    )
                };
                let from = |c: &I| S::From(Box::new(slot.text.clone()), Box::new(c.clone()));
                let mut fields = vec![S::Before(
                    Box::new(slot.text.clone()),
                    Box::new(from(&cuts[0])),
                )];
                for w in cuts.windows(2) {
                    fields.push(S::Before(Box::new(after(&w[0])), Box::new(from(&w[1]))));
                }
                fields.push(after(&cuts[4]));
                let five = F::IntGe(cuts[4].clone(), I::Lit(0));
                and([five, self.atom_fields(a, &fields)])
            }
            CondValue::Pattern(t) if t.has_variables() => self.template(t, &slot.text),
            CondValue::Pattern(t) => match t.glob() {
                Some(g) => term::in_re(
                    slot.text.clone(),
                    glob_re(&g.toks, t.folded && !slot.folded_domain),
                ),
                None => self.fail("internal: pattern without glob".into()),
            },
            CondValue::Binary(b) => F::StrEq(slot.text.clone(), S::Lit(b.clone())),
            CondValue::Number(c) => match (typed(self, "n"), typed(self, "isn")) {
                (Some(n), Some(is)) => and([term::var(&is), F::RealCmp(n, cmp_of(a.op), *c)]),
                _ => term::f(),
            },
            CondValue::Date(c) => match (typed(self, "d"), typed(self, "isd")) {
                (Some(d), Some(is)) => and([term::var(&is), F::IntCmp(d, cmp_of(a.op), *c)]),
                _ => term::f(),
            },
            CondValue::Ip(net) => {
                let (width, mask, value) = net_parts(net);
                let (view, flag) = if width == 32 {
                    ("ip4", "is4")
                } else {
                    ("ip6", "is6")
                };
                match (typed(self, view), typed(self, flag)) {
                    (Some(v), Some(is)) => and([
                        term::var(&is),
                        F::BvMasked {
                            var: v,
                            width,
                            mask,
                            value,
                        },
                    ]),
                    _ => term::f(),
                }
            }
            CondValue::Null(_) => term::f(),
        }
    }

    /// A pattern with policy variables, by where its wildcards stand (encodings/
    /// policy-variables.md): none before the last variable (the substituted prefix is
    /// fixed), none after the first (`user/*/${aws:username}`: the suffix is fixed), or
    /// on both sides of variables that stand together (`arn:aws:secretsmanager:*:
    /// ${aws:PrincipalAccount}:secret:*`: the first occurrence of the fixed middle that
    /// can follow the prefix decides).
    pub(super) fn template(&mut self, t: &crate::pattern::Template, text: &S) -> F {
        if t.folded {
            return self.fail(
                "a policy variable inside a case-insensitive comparison (no solver can lower-case a value)".into(),
            );
        }
        let is_var = |p: &Part| matches!(p, Part::Var(_));
        let last_var = t.parts.iter().rposition(is_var).unwrap_or(0);
        let first_var = t.parts.iter().position(is_var).unwrap_or(0);
        let wild = |p: &Part| matches!(p, Part::Tok(tok) if !matches!(tok, Tok::Lit(_)));
        if t.parts[first_var..=last_var].iter().any(wild) {
            return self.fail("a wildcard between two policy variables of one pattern".into());
        }
        let before = &t.parts[..first_var];
        let after = &t.parts[last_var + 1..];
        let Some((fixed, mut defined)) = self.fixed_text(t, &t.parts[first_var..=last_var]) else {
            return term::f();
        };
        let toks = |parts: &[Part]| -> Vec<Tok> {
            parts
                .iter()
                .filter_map(|p| match p {
                    Part::Tok(tok) => Some(*tok),
                    Part::Var(_) => None,
                })
                .collect()
        };
        let (before, after) = (toks(before), toks(after));
        if let (Some(head), Some(tail)) = (literal_text(&before), literal_text(&after)) {
            // No wildcard: an equality, which holds under negation as well.
            let whole = concat(vec![S::Lit(head), fixed, S::Lit(tail)]);
            defined.push(F::StrEq(text.clone(), whole));
            return and(defined);
        }
        // The match as a formula of the text alone (`qf`: valid under negation too), and
        // as a split of the text into literal runs, substituted values and fresh
        // constants (`split`: what string solvers reason about best, valid where it is
        // asserted).
        let memo = (t.clone(), text.smt());
        if let Some(m) = self.templates.get(&memo) {
            defined.push(m.clone());
            return and(defined);
        }
        let n = self.templates.len();
        let Some(qf) = self.text_formula(text, &before, fixed.clone(), &after) else {
            return term::f();
        };
        // The split: the globs' literal runs as they are, a fresh constant for each
        // wildcard.
        let mut pieces = Vec::new();
        let mut split = Vec::new();
        let mut j = 0;
        let mut glob = |me: &mut Self, toks: &[Tok], pieces: &mut Vec<S>| {
            for tok in toks {
                match tok {
                    Tok::Lit(c) => pieces.push(S::Lit(c.to_string())),
                    wild => {
                        let name = format!("tpl{n}_{j}");
                        j += 1;
                        me.script.declare(&name, Sort::Str);
                        split.push(term::in_re(S::Var(name.clone()), glob_re(&[*wild], false)));
                        pieces.push(S::Var(name));
                    }
                }
            }
        };
        glob(self, &before, &mut pieces);
        pieces.push(fixed);
        glob(self, &after, &mut pieces);
        split.push(F::StrEq(text.clone(), concat(pieces)));
        let split = and(split);
        // `m ⇔ match`: true, the split exists; false, the text-only formula fails.
        let m = format!("tpl{n}");
        self.script.declare(&m, Sort::Bool);
        self.script.assert(
            format!("pattern {n} with policy variables, as a split"),
            implies(term::var(&m), split),
        );
        self.script.assert(
            format!("pattern {n} with policy variables, as a formula of the text"),
            implies(qf, term::var(&m)),
        );
        self.templates.insert(memo, term::var(&m));
        defined.push(term::var(&m));
        and(defined)
    }

    /// The literal text and variable values of `parts` (no wildcards) joined, and the
    /// conditions that every variable without a default has a value. `None` after an
    /// error.
    pub(super) fn fixed_text(
        &mut self,
        t: &crate::pattern::Template,
        parts: &[Part],
    ) -> Option<(S, Vec<F>)> {
        let mut pieces = Vec::new();
        let mut defined = Vec::new();
        for p in parts {
            match p {
                Part::Tok(Tok::Lit(c)) => pieces.push(S::Lit(c.to_string())),
                Part::Tok(_) => {
                    self.fail("internal: a wildcard in a pattern's fixed text".into());
                    return None;
                }
                Part::Var(i) => {
                    let var = t.var(*i);
                    let (key, default) = (&var.key, &var.default);
                    let Some((is_defined, value)) = self.variable(key) else {
                        self.fail(format!("policy variable `${{{key}}}`"));
                        return None;
                    };
                    match default {
                        Some(d) => pieces.push(S::Ite(
                            Box::new(is_defined),
                            Box::new(value),
                            Box::new(S::Lit(d.clone())),
                        )),
                        None => {
                            defined.push(is_defined);
                            pieces.push(value);
                        }
                    }
                }
            }
        }
        Some((concat(pieces), defined))
    }

    /// `text ∈ before · fixed · after` as a formula of the text alone (valid under
    /// negation): by the fixed prefix or suffix when one side has no wildcard, else
    /// [`Self::middle`]. A side with `?` but no `*` has a fixed length: its characters
    /// are read where they stand and the rest of the text is matched without them
    /// (`arn:aws:s3:::*-image-registry-${aws:RequestedRegion}?` in AWS's
    /// ROSAImageRegistryOperatorPolicy). `None` after an error.
    pub(super) fn text_formula(
        &mut self,
        text: &S,
        before: &[Tok],
        fixed: S,
        after: &[Tok],
    ) -> Option<F> {
        let is_wild = |t: &Tok| !matches!(t, Tok::Lit(_));
        let is_star = |t: &Tok| matches!(t, Tok::Star | Tok::StarNoColon);
        let long_enough = |k: i64| F::IntGe(I::Len(text.clone()), I::Lit(k));
        if after.iter().any(is_wild) && !after.iter().any(is_star) {
            let k = after.len() as i64;
            // substr(x, 0, |x| - k) and substr(x, |x| - k, k).
            let rest = S::Before(
                Box::new(text.clone()),
                Box::new(S::Lit("?".repeat(after.len()))),
            );
            let tail = S::From(
                Box::new(text.clone()),
                Box::new(I::Add(Box::new(I::Len(text.clone())), Box::new(I::Lit(-k)))),
            );
            let inner = self.text_formula(&rest, before, fixed, &[])?;
            return Some(and([
                long_enough(k),
                term::in_re(tail, glob_re(after, false)),
                inner,
            ]));
        }
        if before.iter().any(is_wild) && !before.iter().any(is_star) {
            let k = before.len() as i64;
            // substr(x, k, |x| - k) and substr(x, 0, k).
            let rest = S::From(Box::new(text.clone()), Box::new(I::Lit(k)));
            let head = S::Before(Box::new(text.clone()), Box::new(rest.clone()));
            let inner = self.text_formula(&rest, &[], fixed, after)?;
            return Some(and([
                long_enough(k),
                term::in_re(head, glob_re(before, false)),
                inner,
            ]));
        }
        Some(match (literal_text(before), literal_text(after)) {
            (Some(head), _) => {
                let fixed = concat(vec![S::Lit(head), fixed]);
                and([
                    F::PrefixOf(fixed.clone(), text.clone()),
                    term::in_re(
                        S::After(Box::new(text.clone()), Box::new(fixed)),
                        glob_re(after, false),
                    ),
                ])
            }
            (None, Some(tail)) => {
                let fixed = concat(vec![fixed, S::Lit(tail)]);
                and([
                    F::SuffixOf(fixed.clone(), text.clone()),
                    term::in_re(
                        S::Before(Box::new(text.clone()), Box::new(fixed)),
                        glob_re(before, false),
                    ),
                ])
            }
            (None, None) => self.middle(text, before, fixed, after)?,
        })
    }

    /// `text ∈ before · fixed · after` with wildcards in both globs. Write `before` as
    /// `A·P` and `after` as `Q·B`, `P` and `Q` the literal runs next to the fixed text:
    /// when `A` ends with `*` the prefixes of `text` in `A` are those at least as long as
    /// the shortest one (`m`), and when `B` starts with `*` the suffixes in `B` are those
    /// at least as long as some suffix in it. So the text matches iff `w = P·fixed·Q`
    /// occurs at or after `m` and what follows its first such occurrence is in `B`: no
    /// split point is guessed, and the formula may stand under negation. `m` is found
    /// greedily: `A`'s first literal run as a prefix, then each later run at its first
    /// occurrence. `None` after an error (a `?` or a colon-bounded wildcard next to the
    /// fixed text or among `A`'s stars).
    pub(super) fn middle(
        &mut self,
        text: &S,
        before: &[Tok],
        fixed: S,
        after: &[Tok],
    ) -> Option<F> {
        let unsupported = |me: &mut Self| {
            me.fail(
                "a `?` or a colon-bounded wildcard next to a policy variable that has wildcards on both sides".into(),
            );
            None
        };
        let is_wild = |t: &Tok| !matches!(t, Tok::Lit(_));
        let (Some(last), Some(first)) = (
            before.iter().rposition(is_wild),
            after.iter().position(is_wild),
        ) else {
            self.fail("internal: the both-sides form without wildcards on both sides".into());
            return None;
        };
        if before[last] != Tok::Star || after[first] != Tok::Star {
            return unsupported(self);
        }
        let width = |s: &str| s.chars().count() as i64;
        let mut out = Vec::new();
        // A = P0 * P1 * … * Pk *: P0 anchored, the other runs literal.
        let mut runs = before[..last].split(|t| *t == Tok::Star);
        let head = runs.next().unwrap_or(&[]);
        if head.contains(&Tok::StarNoColon) {
            // Not of fixed length.
            return unsupported(self);
        }
        let mut m = I::Lit(head.len() as i64);
        match literal_text(head) {
            Some(p) => out.push(F::PrefixOf(S::Lit(p), text.clone())),
            None => {
                let mut prefix = head.to_vec();
                prefix.push(Tok::Star);
                out.push(F::InRe(text.clone(), glob_re(&prefix, false)));
            }
        }
        for run in runs.filter(|r| !r.is_empty()) {
            let Some(run) = literal_text(run) else {
                return unsupported(self);
            };
            let at = I::IndexOf(text.clone(), S::Lit(run.clone()), Box::new(m));
            out.push(F::IntGe(at.clone(), I::Lit(0)));
            m = I::Add(Box::new(at), Box::new(I::Lit(width(&run))));
        }
        let (Some(p), Some(q)) = (
            literal_text(&before[last + 1..]),
            literal_text(&after[..first]),
        ) else {
            return unsupported(self);
        };
        let w = concat(vec![S::Lit(p), fixed, S::Lit(q)]);
        let at = I::IndexOf(text.clone(), w.clone(), Box::new(m));
        out.push(F::IntGe(at.clone(), I::Lit(0)));
        let rest = S::From(
            Box::new(text.clone()),
            Box::new(I::Add(Box::new(at), Box::new(I::Len(w)))),
        );
        out.push(term::in_re(rest, glob_re(&after[first..], false)));
        Some(and(out))
    }

    pub(super) fn pred(&mut self, pred: &Pred, slot: &SlotTerms) -> F {
        let any = or(pred
            .atoms
            .iter()
            .map(|a| self.atom(a, slot))
            .collect::<Vec<_>>());
        if pred.negated { not(any) } else { any }
    }
}
