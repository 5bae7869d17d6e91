//! Slicing: shrinking a query to the statements and action patterns that can matter,
//! before anything is encoded.
//!
//! Every step keeps the set of requests that satisfy the query exactly (request by
//! request, not only whether one exists), so the slice's verdict, counterexamples,
//! reasons and expanded actions are those of the whole policies. Counterexamples are
//! still replayed through the evaluator on the policies as written, and proof files
//! (`--emit-proof`) state the whole policies, not the slice.
//!
//! `check-no-new-access` fails iff ∃r. NA(r) ∧ ¬ND(r) ∧ ¬(EA(r) ∧ ¬ED(r)), where NA/ND
//! are the new policy's Allow/Deny statements and EA/ED the existing policy's:
//!
//! 1. **Covered parts.** When every existing Deny statement lies inside a new Deny
//!    statement (ED ⇒ ND), a part of a new Allow statement that lies inside an existing
//!    Allow statement never satisfies the query (s ∧ ¬ND ⇒ EA ∧ ¬ED), and is dropped. A
//!    part is a whole statement, or one pattern of its `Action` list together with the
//!    statement's other elements (a statement is the union of those parts).
//! 2. **Disjoint patterns.** A request that satisfies the query matches a remaining new
//!    Allow statement, so its action matches one of their patterns. A pattern elsewhere
//!    (existing statements, new Deny statements) that shares no action with those is
//!    false on every such request and is dropped; so is a statement left without
//!    patterns.
//!
//! `check-access-not-granted`, when every access entry lists actions: the request's
//! action matches one of the listed patterns, so a pattern of the policy (or of a policy
//! limiting it) that shares no action with them is false on every request the query asks
//! about, and is dropped, as in step 2.
//!
//! `check-no-public-access`: an Allow statement whose principals all name an account (or
//! a literal principal of another kind that is not a public identity provider) cannot
//! apply to an unknown caller, whose account and identity are fresh (DESIGN.md §3).
//!
//! Containment and disjointness are decided syntactically and conservatively: equal
//! patterns, `*`, a literal matched by a wildcard pattern, literal prefixes that differ,
//! a condition block that includes the other's conditions. Whatever is not recognised is
//! kept.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::pattern::{ActionKey, Glob, Part, Template, Tok, arn_account};
use crate::policy::{
    ActionPattern, BaseOp, CondValue, Effect, ElementSet, Policy, PrincipalKind, PrincipalPattern,
    Statement, is_account_id,
};

/// A policy reduced for one query; statements keep their index and Sid.
pub(crate) type Sliced = Policy;

/// What slicing removed, for the log.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dropped {
    pub statements: usize,
    pub patterns: usize,
}

/// A pattern's tokens with their hash (computed while parsing): equal exactly when the
/// tokens are.
#[derive(Debug, Clone, Copy)]
struct Toks<'a> {
    hash: u64,
    toks: &'a [Tok],
}

impl<'a> Toks<'a> {
    fn of(p: &'a ActionPattern) -> Self {
        Toks {
            hash: p.key.hash,
            toks: &p.glob.toks,
        }
    }
}

impl std::hash::Hash for Toks<'_> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write_u64(self.hash);
    }
}

impl PartialEq for Toks<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.toks == other.toks
    }
}

impl Eq for Toks<'_> {}

/// `*` (its service part is not literal, which spares reading the others' tokens).
fn is_star(p: &ActionPattern) -> bool {
    p.key.service.is_none() && p.glob.toks == [Tok::Star]
}

/// Whether two globs are known to share no string: their literal prefixes or literal
/// suffixes differ, or both are literals and differ.
fn disjoint(a: &Glob, b: &Glob) -> bool {
    fn lit(t: &Tok) -> Option<char> {
        match t {
            Tok::Lit(c) => Some(*c),
            _ => None,
        }
    }
    let differ = |x: &mut dyn Iterator<Item = Option<char>>,
                  y: &mut dyn Iterator<Item = Option<char>>| {
        loop {
            match (x.next(), y.next()) {
                (Some(Some(c)), Some(Some(d))) if c != d => return true,
                (Some(Some(_)), Some(Some(_))) => {}
                // A wildcard in either, or one string ended: no conflict found this way
                // (two literals of different lengths are caught below).
                _ => return false,
            }
        }
    };
    if a.is_literal() && b.is_literal() {
        return a != b;
    }
    differ(&mut a.toks.iter().map(lit), &mut b.toks.iter().map(lit))
        || differ(
            &mut a.toks.iter().rev().map(lit),
            &mut b.toks.iter().rev().map(lit),
        )
}

/// One statement's action patterns, indexed for containment questions. Services are
/// looked up by hash alone: a collision only adds patterns to compare.
struct ActionIndex<'a> {
    negated: bool,
    /// A `*` pattern.
    star: bool,
    /// Every pattern.
    exact: FxHashSet<Toks<'a>>,
    /// Wildcard patterns with a literal service part, by service.
    wild_by_service: FxHashMap<u64, Vec<&'a Glob>>,
    /// Literal patterns by service (only kept for `NotAction`).
    lit_by_service: FxHashMap<u64, Vec<&'a Glob>>,
    /// Patterns with a wildcard in their service part.
    any_service: Vec<&'a Glob>,
}

impl<'a> ActionIndex<'a> {
    fn new(set: &'a ElementSet<ActionPattern>) -> Self {
        let mut ix = ActionIndex {
            negated: set.negated,
            star: false,
            exact: FxHashSet::default(),
            wild_by_service: FxHashMap::default(),
            lit_by_service: FxHashMap::default(),
            any_service: Vec::new(),
        };
        ix.exact.reserve(set.items.len());
        for p in &set.items {
            ix.exact.insert(Toks::of(p));
            match p.key.service {
                None => {
                    ix.star |= is_star(p);
                    ix.any_service.push(&p.glob);
                }
                Some(s) if !p.key.literal => ix.wild_by_service.entry(s).or_default().push(&p.glob),
                Some(s) if set.negated => ix.lit_by_service.entry(s).or_default().push(&p.glob),
                Some(_) => {}
            }
        }
        ix
    }

    /// The patterns that may share an action with `p`, beyond an equal one: those of its
    /// service and those of any service (all of them when its service is unknown).
    fn neighbours(&self, p: &ActionPattern) -> Vec<&'a Glob> {
        let mut out = self.any_service.clone();
        match p.key.service {
            Some(s) => {
                out.extend(self.wild_by_service.get(&s).into_iter().flatten());
                out.extend(self.lit_by_service.get(&s).into_iter().flatten());
            }
            None => {
                out.extend(self.wild_by_service.values().flatten());
                out.extend(self.lit_by_service.values().flatten());
            }
        }
        out
    }

    /// Whether every action `p` matches is matched by this element.
    fn covers(&self, p: &ActionPattern) -> bool {
        let equal = self.star || self.exact.contains(&Toks::of(p));
        if !self.negated {
            return equal
                || (p.key.literal && {
                    let text = p.glob.as_literal().unwrap_or_default();
                    self.neighbours(p).iter().any(|g| g.matches(&text))
                });
        }
        // NotAction: the pattern must share no action with the excluded patterns.
        if equal {
            return false;
        }
        let near = self.neighbours(p);
        match p.glob.as_literal() {
            Some(text) => !near.iter().any(|g| g.matches(&text)),
            None => near.iter().all(|g| disjoint(&p.glob, g)),
        }
    }

    /// Whether every action the element `inner` matches is matched by this element.
    fn covers_all(&self, inner: &ElementSet<ActionPattern>) -> bool {
        match (self.negated, inner.negated) {
            (_, false) => inner.items.iter().all(|p| self.covers(p)),
            (false, true) => self.star,
            // NotAction X covers NotAction Y when X ⊆ Y.
            (true, true) => {
                let inner: FxHashSet<Toks> = inner.items.iter().map(Toks::of).collect();
                self.exact.iter().all(|t| inner.contains(t))
            }
        }
    }
}

/// Whether `outer`'s principals, resources and conditions each contain `inner`'s.
fn elements_cover(outer: &Statement, inner: &Statement) -> bool {
    principals_cover(outer, inner)
        && resources_cover(outer, inner)
        && conditions_cover(outer, inner)
}

fn principals_cover(outer: &Statement, inner: &Statement) -> bool {
    match (&outer.principals, &inner.principals) {
        (None, None) => true,
        (Some(o), _) if !o.negated && o.items.contains(&PrincipalPattern::Everyone) => true,
        (Some(o), Some(i)) => match (o.negated, i.negated) {
            (false, false) => i.items.iter().all(|p| o.items.contains(p)),
            (true, true) => o.items.iter().all(|p| i.items.contains(p)),
            _ => false,
        },
        _ => false,
    }
}

/// Whether every text `inner` matches (for every value of its variables), `outer`
/// matches: equal patterns, or `outer` is `inner` with each variable read as `*` (a
/// substituted value is literal text, which `*` matches). In ARN syntax only a
/// variable in the resource field (after five `:`), where `*` crosses `:`, is read so.
fn pattern_covers(outer: &Template, inner: &Template, arn: bool) -> bool {
    if outer == inner {
        return true;
    }
    if outer.has_variables() || !inner.has_variables() || outer.folded != inner.folded {
        return false;
    }
    let mut colons = 0;
    let mut parts = Vec::with_capacity(inner.parts.len());
    for p in &inner.parts {
        match p {
            Part::Tok(Tok::Lit(':')) => colons += 1,
            Part::Var(_) if arn && colons < 5 => return false,
            _ => {}
        }
        parts.push(match p {
            Part::Var(_) => Part::Tok(Tok::Star),
            other => *other,
        });
    }
    parts == outer.parts
}

fn resources_cover(outer: &Statement, inner: &Statement) -> bool {
    let star = |t: &crate::pattern::Template| t.parts == [Part::Tok(Tok::Star)];
    match (&outer.resources, &inner.resources) {
        (None, _) => true,
        (Some(o), _) if !o.negated && o.items.iter().any(|r| star(&r.template)) => true,
        (Some(o), Some(i)) => match (o.negated, i.negated) {
            (false, false) => i.items.iter().all(|r| {
                o.items
                    .iter()
                    .any(|q| pattern_covers(&q.template, &r.template, true))
            }),
            (true, true) => o
                .items
                .iter()
                .all(|q| i.items.iter().any(|r| q.template == r.template)),
            _ => false,
        },
        (Some(_), None) => false,
    }
}

/// Every condition of `outer` is one of `inner`'s (conditions AND together), or, under
/// `StringLike` / `ArnLike` (whose truth only grows with the patterns' languages, with
/// any set qualifier), `inner`'s with variables read as `*` ([`pattern_covers`]).
fn conditions_cover(outer: &Statement, inner: &Statement) -> bool {
    let value_covers = |o: &CondValue, i: &CondValue, arn: bool| match (o, i) {
        (CondValue::Pattern(o), CondValue::Pattern(i)) => pattern_covers(o, i, arn),
        _ => o == i,
    };
    outer.conditions.iter().all(|o| {
        inner.conditions.iter().any(|i| {
            if i.operator != o.operator || i.key != o.key {
                return false;
            }
            if i.values == o.values {
                return true;
            }
            let arn = match o.operator.base {
                BaseOp::StringLike => false,
                BaseOp::ArnLike => true,
                _ => return false,
            };
            i.values.len() == o.values.len()
                && i.values
                    .iter()
                    .zip(&o.values)
                    .all(|(iv, ov)| value_covers(ov, iv, arn))
        })
    })
}

/// Whether every request `inner` applies to, `outer` applies to as well.
fn statement_covers(outer: &Statement, outer_actions: &ActionIndex, inner: &Statement) -> bool {
    outer_actions.covers_all(&inner.actions) && elements_cover(outer, inner)
}

/// The actions of the remaining new Allow statements, for "may this pattern share an
/// action with them?" (built only when that is limited: no `NotAction`, and no pattern
/// whose service part has a wildcard). By hash alone: a collision only keeps a pattern.
struct Footprint {
    literals: FxHashSet<u64>,
    literal_services: FxHashSet<u64>,
    wild_services: FxHashSet<u64>,
}

impl Footprint {
    fn of(new: &Policy, kept: &[Kept]) -> Option<Self> {
        let mut f = Footprint {
            literals: FxHashSet::default(),
            literal_services: FxHashSet::default(),
            wild_services: FxHashSet::default(),
        };
        for (s, kept) in new.statements.iter().zip(kept) {
            let Some(patterns) = kept else { continue };
            if s.effect != Effect::Allow {
                continue;
            }
            if s.actions.negated {
                return None;
            }
            for p in patterns {
                let svc = p.key.service?;
                if p.key.literal {
                    f.literals.insert(p.key.hash);
                    f.literal_services.insert(svc);
                } else {
                    f.wild_services.insert(svc);
                }
            }
        }
        Some(f)
    }

    /// The footprint of a list of action patterns; `None` when one of them may be of
    /// any service.
    fn of_keys(keys: &[ActionKey]) -> Option<Self> {
        let mut f = Footprint {
            literals: FxHashSet::default(),
            literal_services: FxHashSet::default(),
            wild_services: FxHashSet::default(),
        };
        for key in keys {
            let svc = key.service?;
            if key.literal {
                f.literals.insert(key.hash);
                f.literal_services.insert(svc);
            } else {
                f.wild_services.insert(svc);
            }
        }
        Some(f)
    }

    fn may_meet(&self, p: &ActionPattern) -> bool {
        let Some(s) = p.key.service else {
            return true;
        };
        if self.wild_services.contains(&s) {
            return true;
        }
        if p.key.literal {
            self.literals.contains(&p.key.hash)
        } else {
            self.literal_services.contains(&s)
        }
    }
}

/// What is left of one statement: `None` once it is dropped, else its action patterns
/// (all of them for `NotAction`, which is only ever dropped whole).
type Kept<'a> = Option<Vec<&'a ActionPattern>>;

fn all_kept(p: &Policy) -> Vec<Kept<'_>> {
    p.statements
        .iter()
        .map(|s| Some(s.actions.items.iter().collect()))
        .collect()
}

/// Removes the patterns `keep` refuses from a positive `Action` statement, and the
/// statement when none is left.
fn retain<'a>(kept: &mut Kept<'a>, keep: impl Fn(&ActionPattern) -> bool) {
    if let Some(patterns) = kept {
        patterns.retain(|p| keep(p));
        if patterns.is_empty() {
            *kept = None;
        }
    }
}

/// A policy with what is left of each statement.
fn rebuild(p: &Policy, kept: &[Kept], dropped: &mut Dropped) -> Sliced {
    let mut statements = Vec::new();
    for (s, kept) in p.statements.iter().zip(kept) {
        match kept {
            None => {
                dropped.statements += 1;
                dropped.patterns += s.actions.items.len();
            }
            Some(k) if k.len() == s.actions.items.len() => statements.push(s.clone()),
            Some(k) => {
                dropped.patterns += s.actions.items.len() - k.len();
                statements.push(Statement {
                    actions: ElementSet {
                        negated: s.actions.negated,
                        items: k.iter().map(|p| (*p).clone()).collect(),
                    },
                    index: s.index,
                    sid: s.sid.clone(),
                    effect: s.effect,
                    resources: s.resources.clone(),
                    principals: s.principals.clone(),
                    conditions: s.conditions.clone(),
                    pointer: s.pointer.clone(),
                    shared_sid: s.shared_sid,
                });
            }
        }
    }
    Policy {
        version: p.version.clone(),
        id: p.id.clone(),
        policy_type: p.policy_type,
        variables: p.variables,
        statements,
    }
}

fn unchanged(p: &Policy, kept: &[Kept]) -> bool {
    p.statements
        .iter()
        .zip(kept)
        .all(|(s, k)| k.as_ref().is_some_and(|k| k.len() == s.actions.items.len()))
}

/// Drops the covered parts of the new policy's Allow statements (step 1).
fn drop_covered<'a>(new: &'a Policy, existing: &'a Policy, kept: &mut [Kept<'a>]) {
    let existing_denies: Vec<&Statement> = existing
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Deny)
        .collect();
    if !existing_denies.is_empty() {
        let new_denies: Vec<(&Statement, ActionIndex)> = new
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Deny)
            .map(|s| (s, ActionIndex::new(&s.actions)))
            .collect();
        let covered = existing_denies
            .iter()
            .all(|d| new_denies.iter().any(|(n, ix)| statement_covers(n, ix, d)));
        if !covered {
            return;
        }
    }
    // Existing Allow statements by the services of their patterns; `broad` ones may
    // cover a pattern of any service.
    let mut by_service: FxHashMap<u64, Vec<usize>> = FxHashMap::default();
    let mut broad = Vec::new();
    for (i, s) in existing.statements.iter().enumerate() {
        if s.effect != Effect::Allow {
            continue;
        }
        if s.actions.negated || s.actions.items.iter().any(|p| p.key.service.is_none()) {
            broad.push(i);
            continue;
        }
        for_each_service(s, |svc| {
            let v = by_service.entry(svc).or_default();
            if v.last() != Some(&i) {
                v.push(i);
            }
        });
    }
    // Built for the statements that cover some new statement's other elements.
    let mut indexes: Vec<Option<ActionIndex>> = existing.statements.iter().map(|_| None).collect();
    for (s, kept) in new.statements.iter().zip(kept.iter_mut()) {
        if s.effect != Effect::Allow {
            continue;
        }
        let mut candidates = broad.clone();
        if !s.actions.negated {
            for_each_service(s, |svc| {
                candidates.extend(by_service.get(&svc).into_iter().flatten());
            });
            candidates.sort_unstable();
            candidates.dedup();
        }
        let mut covering = Vec::new();
        for i in candidates {
            let outer = &existing.statements[i];
            if elements_cover(outer, s) {
                indexes[i].get_or_insert_with(|| ActionIndex::new(&outer.actions));
                covering.push(i);
            }
        }
        let covering: Vec<&ActionIndex> = covering
            .iter()
            .filter_map(|&i| indexes[i].as_ref())
            .collect();
        if covering.is_empty() {
            continue;
        }
        if s.actions.negated {
            if covering.iter().any(|ix| ix.covers_all(&s.actions)) {
                *kept = None;
            }
        } else {
            retain(kept, |p| !covering.iter().any(|ix| ix.covers(p)));
        }
    }
}

/// Calls `f` with the literal service part of each action pattern of `s`, skipping
/// repeats of the previous pattern's (patterns usually come grouped by service).
fn for_each_service(s: &Statement, mut f: impl FnMut(u64)) {
    let mut last = None;
    for p in &s.actions.items {
        if let Some(svc) = p.key.service
            && last != Some(svc)
        {
            last = Some(svc);
            f(svc);
        }
    }
}

/// Drops the patterns of positive `Action` statements (all of `p`'s, or only its Deny
/// statements) that share no action with `footprint` (step 2).
fn drop_disjoint(p: &Policy, only_denies: bool, footprint: &Footprint, kept: &mut [Kept]) {
    for (s, kept) in p.statements.iter().zip(kept.iter_mut()) {
        if !s.actions.negated && (!only_denies || s.effect == Effect::Deny) {
            retain(kept, |a| footprint.may_meet(a));
        }
    }
}

/// The slice of a `check-no-new-access` query, or `None` when nothing can be removed.
pub(crate) fn no_new_access(new: &Policy, existing: &Policy) -> Option<(Sliced, Sliced, Dropped)> {
    let mut new_kept = all_kept(new);
    let mut existing_kept = all_kept(existing);
    drop_covered(new, existing, &mut new_kept);
    if let Some(f) = Footprint::of(new, &new_kept) {
        drop_disjoint(new, true, &f, &mut new_kept);
        drop_disjoint(existing, false, &f, &mut existing_kept);
    }
    if unchanged(new, &new_kept) && unchanged(existing, &existing_kept) {
        return None;
    }
    let mut dropped = Dropped::default();
    let new = rebuild(new, &new_kept, &mut dropped);
    let existing = rebuild(existing, &existing_kept, &mut dropped);
    Some((new, existing, dropped))
}

/// The slice of a `check-access-not-granted` query whose every access entry lists
/// actions: a request it asks about has one of them, so an `Action` pattern that shares
/// no action with the list never matches such a request, in an Allow or a Deny, of the
/// policy or of a policy that limits it. `listed` holds the keys of the listed action
/// patterns; `None` when nothing can be removed.
pub(crate) fn access_not_granted(
    policies: &[&Policy],
    listed: &[ActionKey],
) -> Option<(Vec<Option<Sliced>>, Dropped)> {
    let footprint = Footprint::of_keys(listed)?;
    let mut dropped = Dropped::default();
    let mut any = false;
    let out = policies
        .iter()
        .map(|p| {
            let mut kept = all_kept(p);
            drop_disjoint(p, false, &footprint, &mut kept);
            if unchanged(p, &kept) {
                return None;
            }
            any = true;
            Some(rebuild(p, &kept, &mut dropped))
        })
        .collect();
    any.then_some((out, dropped))
}

/// Whether a principal pattern names only callers an unknown caller is not.
fn pins_caller(p: &PrincipalPattern) -> bool {
    let literal = |v: &str| !v.contains(['*', '?']);
    match p {
        PrincipalPattern::Account(_) => true,
        PrincipalPattern::Exact(PrincipalKind::Aws, arn) => {
            arn_account(arn).is_some_and(is_account_id)
        }
        PrincipalPattern::Exact(PrincipalKind::Federated, v) => {
            literal(v) && !super::callers::is_open_provider(v)
        }
        PrincipalPattern::Exact(_, v) => literal(v),
        PrincipalPattern::Everyone | PrincipalPattern::AnyOfKind(_) => false,
    }
}

/// The slice of a `check-no-public-access` query, or `None` when nothing can be removed.
pub(crate) fn no_public_access(policy: &Policy) -> Option<(Sliced, Dropped)> {
    let pinned = |s: &Statement| {
        s.effect == Effect::Allow
            && s.principals.as_ref().is_some_and(|p| {
                !p.negated && !p.items.is_empty() && p.items.iter().all(pins_caller)
            })
    };
    let n = policy.statements.iter().filter(|s| pinned(s)).count();
    if n == 0 {
        return None;
    }
    let sliced = Policy {
        version: policy.version.clone(),
        id: policy.id.clone(),
        policy_type: policy.policy_type,
        variables: policy.variables,
        statements: policy
            .statements
            .iter()
            .filter(|s| !pinned(s))
            .cloned()
            .collect(),
    };
    Some((
        sliced,
        Dropped {
            statements: n,
            patterns: 0,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{PolicyType, parse};
    use serde_json::{Value, json};

    fn policy(statements: Value, t: PolicyType) -> Policy {
        let text = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
        parse(&text, t).expect("test policy parses")
    }

    fn identity(statements: Value) -> Policy {
        policy(statements, PolicyType::Identity)
    }

    /// (index, action texts) of each statement.
    fn shape(p: &Policy) -> Vec<(usize, Vec<&str>)> {
        p.statements
            .iter()
            .map(|s| {
                (
                    s.index,
                    s.actions.items.iter().map(|a| a.text.as_str()).collect(),
                )
            })
            .collect()
    }

    /// A resource policy allowing `s3:GetObject` to `principal`.
    fn with_principal(principal: Value) -> Policy {
        policy(
            json!([{"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", "Resource": "*"}]),
            PolicyType::Resource,
        )
    }

    fn allow(actions: Value) -> Value {
        json!({"Effect": "Allow", "Action": actions, "Resource": "*"})
    }

    #[test]
    fn identical_statements_go_and_disjoint_ones_follow() {
        let existing = identity(json!([
            allow(json!(["s3:GetObject"])),
            allow(json!(["ec2:Describe*"])),
            {"Effect": "Allow", "Action": "sqs:*", "Resource": "arn:aws:sqs:*:*:q"},
        ]));
        let new = identity(json!([
            allow(json!(["s3:GetObject"])),
            allow(json!(["ec2:Describe*"])),
            {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"},
        ]));
        let (n, e, dropped) = no_new_access(&new, &existing).expect("something goes");
        // The wider sqs statement is left, at its own index, and only the existing
        // statement of its service.
        assert_eq!(shape(&n), vec![(2, vec!["sqs:*"])]);
        assert_eq!(shape(&e), vec![(2, vec!["sqs:*"])]);
        assert_eq!(dropped.statements, 4);
        // Nothing to remove: None.
        let only = identity(json!([allow(json!(["sqs:*"]))]));
        assert!(no_new_access(&only, &only.clone()).is_some());
        let wider = identity(json!([allow(json!(["*"]))]));
        assert!(no_new_access(&wider, &only).is_none());
    }

    #[test]
    fn access_lists_keep_the_patterns_that_may_meet_them() {
        let keys = |actions: &[&str]| -> Vec<ActionKey> {
            actions
                .iter()
                .map(|a| Glob::action(a).action_key())
                .collect()
        };
        let p = identity(json!([
            allow(json!(["s3:GetObject", "ec2:Describe*", "iam:PassRole"])),
            {"Effect": "Deny", "Action": ["iam:*", "sqs:*"], "Resource": "*"},
            {"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"},
            allow(json!(["kms:Decrypt"])),
        ]));
        let (out, dropped) =
            access_not_granted(&[&p], &keys(&["iam:PassRole", "IAM:createuser"])).expect("some go");
        let sliced = out[0].as_ref().expect("the policy is sliced");
        // Same-service wildcards and NotAction stay; the kms statement goes whole.
        assert_eq!(
            shape(sliced),
            vec![
                (0, vec!["iam:PassRole"]),
                (1, vec!["iam:*"]),
                (2, vec!["s3:*"])
            ]
        );
        assert_eq!((dropped.statements, dropped.patterns), (1, 4));
        // A listed pattern of no fixed service keeps everything.
        assert!(access_not_granted(&[&p], &keys(&["*:PassRole"])).is_none());
        // Nothing to drop: None.
        let only = identity(json!([allow(json!(["iam:Get*"]))]));
        assert!(access_not_granted(&[&only], &keys(&["iam:GetRole"])).is_none());
    }

    #[test]
    fn a_variable_read_as_a_star_is_covered_where_the_star_crosses_everything() {
        let statement = |resource: &str, condition: Value| {
            json!({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": resource,
                   "Condition": condition})
        };
        let like = |v: &str| json!({"StringLike": {"kms:EncryptionContext:SecretArn": v}});
        let covered = |outer: Value, inner: Value| {
            let (o, i) = (identity(json!([outer])), identity(json!([inner])));
            elements_cover(&o.statements[0], &i.statements[0])
        };
        let own = "arn:aws:s3:::b/*/${aws:PrincipalAccount}/*";
        let secret = "arn:aws:sm:*:${aws:PrincipalAccount}:secret:*";
        assert!(covered(
            statement("arn:aws:s3:::b/*/*/*", like("arn:aws:sm:*:*:secret:*")),
            statement(own, like(secret)),
        ));
        // Not the other way, not in the account field of an ARN pattern, not under a
        // negated or an equality operator.
        assert!(!covered(
            statement(own, like(secret)),
            statement("arn:aws:s3:::b/*/*/*", like("arn:aws:sm:*:*:secret:*")),
        ));
        assert!(!covered(
            statement("arn:aws:kms:*:*:key/*", json!({})),
            statement("arn:aws:kms:*:${aws:PrincipalAccount}:key/*", json!({})),
        ));
        let not_like = |v: &str| json!({"StringNotLike": {"kms:EncryptionContext:SecretArn": v}});
        assert!(!covered(
            statement("*", not_like("arn:aws:sm:*:*:secret:*")),
            statement("*", not_like(secret)),
        ));
        let equals = |v: &str| json!({"StringEquals": {"kms:EncryptionContext:SecretArn": v}});
        assert!(!covered(
            statement("*", equals("arn:aws:sm:*:*:secret:*")),
            statement("*", equals(secret)),
        ));
    }

    #[test]
    fn patterns_go_one_by_one() {
        let existing = identity(json!([allow(json!(["s3:Get*", "sqs:SendMessage"]))]));
        let new = identity(json!([allow(json!([
            "s3:GetObject",
            "S3:getBucketPolicy",
            "s3:PutObject",
            "s3:Get*",
            "s3:G*"
        ]))]));
        let (n, _, _) = no_new_access(&new, &existing).expect("something goes");
        assert_eq!(shape(&n), vec![(0, vec!["s3:PutObject", "s3:G*"])]);
    }

    #[test]
    fn an_existing_deny_the_new_policy_lacks_keeps_every_allow() {
        let deny = json!({"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"});
        let existing = identity(json!([allow(json!(["s3:*"])), deny.clone()]));
        let new = identity(json!([allow(json!(["s3:*"]))]));
        // s3:DeleteObject is new access: the allow must stay.
        let sliced = no_new_access(&new, &existing);
        let kept = sliced.as_ref().map_or(shape(&new), |(n, _, _)| shape(n));
        assert_eq!(kept, vec![(0, vec!["s3:*"])]);
        // With the same Deny in the new policy, the allow is covered.
        let new = identity(json!([allow(json!(["s3:*"])), deny]));
        let (n, _, _) = no_new_access(&new, &existing).expect("covered");
        assert!(n.statements.iter().all(|s| s.effect == Effect::Deny));
    }

    #[test]
    fn not_action_covers_what_it_does_not_exclude() {
        let existing = identity(json!([
            {"Effect": "Allow", "NotAction": ["iam:*", "organizations:List*"], "Resource": "*"}
        ]));
        let new = identity(json!([allow(json!([
            "s3:GetObject",
            "s3:Get*",
            "iam:PassRole",
            "organizations:ListAccounts",
            "organizations:Describe*",
            "organizations:*",
            "*:Get*"
        ]))]));
        let (n, _, _) = no_new_access(&new, &existing).expect("something goes");
        assert_eq!(
            shape(&n),
            vec![(
                0,
                vec![
                    "iam:PassRole",
                    "organizations:ListAccounts",
                    "organizations:*",
                    "*:Get*"
                ]
            )]
        );
        // NotAction inside NotAction: X covers Y when X ⊆ Y.
        let narrower = identity(json!([
            {"Effect": "Allow", "NotAction": ["iam:*", "organizations:List*", "s3:*"], "Resource": "*"}
        ]));
        let (n, _, _) = no_new_access(&narrower, &existing).expect("covered");
        assert!(n.statements.is_empty());
        assert!(no_new_access(&existing, &narrower).is_none());
    }

    #[test]
    fn conditions_resources_and_variables_must_be_contained() {
        let cond = |c: Value| json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": c});
        let ip = json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}});
        let ip_tls = json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}, "Bool": {"aws:SecureTransport": "true"}});
        // More conditions in the new statement: inside.
        let (n, _, _) = no_new_access(
            &identity(json!([cond(ip_tls.clone())])),
            &identity(json!([cond(ip.clone())])),
        )
        .expect("covered");
        assert!(n.statements.is_empty());
        // Fewer: not inside.
        assert!(
            no_new_access(
                &identity(json!([cond(ip)])),
                &identity(json!([cond(ip_tls)]))
            )
            .is_none()
        );
        // A narrower resource is inside `*` and an equal list, not a different one.
        let res = |r: Value| json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": r});
        let b = json!("arn:aws:s3:::b/*");
        let (n, _, _) = no_new_access(
            &identity(json!([res(b.clone())])),
            &identity(json!([res(json!("*"))])),
        )
        .expect("covered");
        assert!(n.statements.is_empty());
        assert!(
            no_new_access(
                &identity(json!([res(json!("*"))])),
                &identity(json!([res(b.clone())]))
            )
            .is_none()
        );
        assert!(
            no_new_access(
                &identity(json!([res(json!("arn:aws:s3:::c/*"))])),
                &identity(json!([res(b)]))
            )
            .is_none()
        );
        // `${aws:username}` is a variable in 2012-10-17 and text in 2008-10-17.
        let user = json!([res(json!("arn:aws:s3:::b/${aws:username}"))]);
        let v2012 = identity(user.clone());
        let text = json!({"Version": "2008-10-17", "Statement": user}).to_string();
        let v2008 = parse(&text, PolicyType::Identity).expect("parses");
        assert!(no_new_access(&v2012, &v2008).is_none());
        assert!(no_new_access(&v2012, &v2012.clone()).is_some());
    }

    #[test]
    fn principals_must_be_contained() {
        let one = with_principal(json!({"AWS": "arn:aws:iam::111122223333:role/r"}));
        let two =
            with_principal(json!({"AWS": ["arn:aws:iam::111122223333:role/r", "444455556666"]}));
        let everyone = with_principal(json!("*"));
        assert!(no_new_access(&one, &two).is_some());
        assert!(no_new_access(&one, &everyone).is_some());
        assert!(no_new_access(&two, &one).is_none());
        assert!(no_new_access(&everyone, &two).is_none());
    }

    #[test]
    fn disjointness_is_only_claimed_when_certain() {
        let g = Glob::action;
        assert!(disjoint(&g("s3:Get*"), &g("s3:Put*")));
        assert!(disjoint(&g("*Object"), &g("*Bucket")));
        assert!(disjoint(&g("s3:GetObject"), &g("s3:GetObjects")));
        assert!(!disjoint(&g("s3:Get*"), &g("s3:G*t")));
        assert!(!disjoint(&g("*:Get*"), &g("s3:*Object")));
        assert!(!disjoint(&g("s3:Get?bject"), &g("s3:GetObject")));
        // Exhaustively on short strings: claimed disjoint means no common string.
        let pats = [
            "a*", "*a", "a?", "?b", "ab", "a*b", "b*", "*", "ba", "a", "??",
        ];
        let texts = ["", "a", "b", "aa", "ab", "ba", "bb", "aab", "abb", "bab"];
        for p in pats {
            for q in pats {
                if disjoint(&g(p), &g(q)) {
                    for t in texts {
                        assert!(!(g(p).matches(t) && g(q).matches(t)), "{p} {q} {t}");
                    }
                }
            }
        }
    }

    #[test]
    fn public_access_drops_statements_only_named_callers_reach() {
        for pinned in [
            json!({"AWS": "111122223333"}),
            json!({"AWS": ["arn:aws:iam::111122223333:role/r", "arn:aws:iam::444455556666:root"]}),
            json!({"Service": "s3.amazonaws.com"}),
            json!({"Federated": "arn:aws:iam::111122223333:saml-provider/x"}),
        ] {
            let (sliced, dropped) =
                no_public_access(&with_principal(pinned.clone())).expect("{pinned}");
            assert!(sliced.statements.is_empty(), "{pinned}");
            assert_eq!(dropped.statements, 1);
        }
        for open in [
            json!("*"),
            json!({"AWS": "*"}),
            // Not a twelve-digit account: kept, though no caller may match it.
            json!({"AWS": "arn:aws:iam::1:role/x"}),
            json!({"Federated": "accounts.google.com"}),
            json!({"Service": "*"}),
            json!({"AWS": ["111122223333", "*"]}),
        ] {
            assert!(
                no_public_access(&with_principal(open.clone())).is_none(),
                "{open}"
            );
        }
        let not_principal = policy(
            json!([{"Effect": "Allow", "NotPrincipal": {"AWS": "111122223333"}, "Action": "s3:*", "Resource": "*"}]),
            PolicyType::Resource,
        );
        assert!(no_public_access(&not_principal).is_none());
    }
}
