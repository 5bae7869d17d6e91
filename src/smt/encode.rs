//! The symbolic request and the encoder from policy AST to formulas.
//!
//! A symbolic request has an action, a resource, a principal (kind + value) and one
//! variable per condition key. The encoder states what each statement requires through
//! four questions put to a [`Sink`] — does some value of a slot satisfy a predicate, do
//! all of them, is the slot present, what kind is the principal — so the same walk
//! serves the atom collection, the finitized lowering and the strings lowering.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::eval::{self, Context};
use crate::pattern::{self, Glob, Part, Syntax, Template, Tok};
use crate::policy::{
    BaseOp, CondValue, Condition, ElementSet, Policy, PrincipalKind, PrincipalPattern,
    SetQualifier, Statement,
};

use super::regions::StrGlob;
use super::term::{self, F, and, not, or};

/// Condition keys derived from the principal (DESIGN.md §2: linked to Principal).
pub const PRINCIPAL_ARN: &str = "aws:principalarn";
pub const PRINCIPAL_ACCOUNT: &str = "aws:principalaccount";

/// A role session's name, held beside the caller's `aws:PrincipalArn` (the role's ARN):
/// a Principal entry naming a session ARN names the role and this name. Not a condition
/// key AWS has; a counterexample carries it in its principal, never in its context.
pub const ROLE_SESSION: &str = "hornbeam:rolesessionname";

/// How AWS spells the global keys a query may put in a counterexample without a policy
/// writing them (a policy's own spelling wins).
pub const GLOBAL_KEY_SPELLINGS: &[&str] = &[
    "aws:ResourceAccount",
    "aws:ResourceOrgID",
    "aws:ResourceOrgPaths",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceIp",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:SecureTransport",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:PrincipalType",
    "aws:PrincipalIsAWSService",
    "aws:PrincipalTag",
    "aws:userid",
    "aws:username",
];

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Var {
    Action,
    Resource,
    /// The caller's identifying string (ARN for IAM principals, name otherwise).
    Principal,
    /// A condition key, lower-cased (never one of the derived principal keys).
    Key(String),
}

/// Where values come from: a variable, restricted to IAM callers for derived keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slot {
    pub var: Var,
    /// Only present when the caller is an IAM principal (`aws:PrincipalArn` & co).
    pub aws_only: bool,
}

impl Slot {
    pub fn of(var: Var) -> Slot {
        Slot {
            var,
            aws_only: false,
        }
    }
}

/// One per-value test: the positive operator's test of a value against one policy
/// value, on the whole value or on the account field of an ARN.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Atom {
    pub op: BaseOp,
    pub value: CondValue,
    pub account: bool,
}

/// A compiled [`Atom`]: the evaluator's glob match without re-resolving the pattern.
pub enum Matcher<'a> {
    Glob(Glob, bool),
    /// The same on the account field of an ARN.
    Account(Glob, bool),
    Atom(&'a Atom),
}

impl Matcher<'_> {
    /// `holds` for a value whose lower-cased form is `folded`.
    pub fn holds(&self, value: &str, folded: &str) -> bool {
        match self {
            Matcher::Glob(g, true) => g.matches(folded),
            Matcher::Glob(g, false) => g.matches(value),
            Matcher::Account(g, folded) => pattern::arn_account(value).is_some_and(|a| {
                if *folded {
                    g.matches(&pattern::fold(a))
                } else {
                    g.matches(a)
                }
            }),
            Matcher::Atom(a) => a.holds(value),
        }
    }
}

/// A per-value predicate: some atom holds (or, negated, none does).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pred {
    pub atoms: Vec<Atom>,
    pub negated: bool,
}

/// Families that split a variable's values independently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValueFamily {
    Text,
    Number,
    Date,
    Ip,
}

impl Atom {
    pub fn family(&self) -> ValueFamily {
        match self.value {
            CondValue::Number(_) => ValueFamily::Number,
            CondValue::Date(_) => ValueFamily::Date,
            CondValue::Ip(_) => ValueFamily::Ip,
            _ => ValueFamily::Text,
        }
    }

    /// Whether the atom holds for a concrete value of a variable-free atom: exactly
    /// the evaluator's per-value test.
    pub fn holds(&self, value: &str) -> bool {
        self.holds_in(value, &Context::default())
    }

    /// The same test, resolving policy variables from a request context.
    pub fn holds_in(&self, value: &str, ctx: &Context) -> bool {
        if self.account {
            pattern::arn_account(value)
                .is_some_and(|a| eval::value_matches(self.op, &self.value, a, ctx))
        } else {
            eval::value_matches(self.op, &self.value, value, ctx)
        }
    }

    /// A matcher equivalent to [`Atom::holds`], compiled once for many values.
    pub fn matcher(&self) -> Matcher<'_> {
        match &self.value {
            CondValue::Pattern(t) => match (t.glob(), self.account) {
                (Some(g), false) => Matcher::Glob(g, t.folded),
                (Some(g), true) => Matcher::Account(g, t.folded),
                (None, _) => Matcher::Atom(self),
            },
            _ => Matcher::Atom(self),
        }
    }

    /// The glob whose regions refine this atom, for text atoms without variables.
    pub fn glob(&self) -> Option<StrGlob> {
        let (toks, folded) = match &self.value {
            CondValue::Pattern(t) => (t.glob()?.toks, t.folded),
            CondValue::Binary(b) => (b.chars().map(Tok::Lit).collect(), false),
            _ => return None,
        };
        if !self.account {
            return Some(StrGlob { toks, folded });
        }
        // The account field: `arn:*:*:*:<account>:*` with the account's wildcards kept
        // inside the field. An account pattern naming `:` matches no field: constant,
        // `holds` decides it. A case-insensitive one is matched against the lower-cased
        // ARN; that also admits `ARN:` as a prefix, but every IAM caller's value meets
        // the domain glob `arn:*:*:*:*:*` (case-sensitive) beside it, and within its
        // regions lower-casing the ARN lower-cases exactly the account field. Returning
        // no glob here would leave the atom to be read on witnesses no glob split by
        // account: a false PASS (StringEqualsIgnoreCase on aws:PrincipalAccount).
        if toks.contains(&Tok::Lit(':')) {
            return None;
        }
        let mut out: Vec<Tok> = "arn:".chars().map(Tok::Lit).collect();
        for _ in 0..3 {
            out.push(Tok::StarNoColon);
            out.push(Tok::Lit(':'));
        }
        out.extend(toks.into_iter().map(|t| match t {
            Tok::Star => Tok::StarNoColon,
            Tok::Any => Tok::AnyNoColon,
            other => other,
        }));
        out.push(Tok::Lit(':'));
        out.push(Tok::Star);
        Some(StrGlob { toks: out, folded })
    }
}

/// The questions the encoder asks about a symbolic request.
pub trait Sink {
    /// Some value of the slot satisfies the predicate (false when absent).
    fn exists(&mut self, slot: &Slot, pred: &Pred) -> F;
    /// Every value of the slot satisfies the predicate (true when absent).
    fn forall(&mut self, slot: &Slot, pred: &Pred) -> F;
    fn present(&mut self, slot: &Slot) -> F;
    /// The caller's kind (`None`: anonymous).
    fn kind_is(&mut self, kind: Option<PrincipalKind>) -> F;
    /// Names a term (lowerings declare it; others return the term itself).
    fn define(&mut self, _name: &str, _comment: &str, term: F) -> F {
        term
    }
    /// Every value of the slot is of the documented type: `forall` over the type's
    /// predicate ([`type_pred`]); a lowering may state it more directly.
    fn typed(&mut self, slot: &Slot, scalar: crate::keys::Scalar) -> F {
        match type_pred(scalar) {
            Some(pred) => self.forall(slot, &pred),
            None => term::t(),
        }
    }
}

/// The slot a condition key reads.
pub fn key_slot(key: &str) -> (Slot, bool) {
    match key {
        PRINCIPAL_ARN => (
            Slot {
                var: Var::Principal,
                aws_only: true,
            },
            false,
        ),
        PRINCIPAL_ACCOUNT => (
            Slot {
                var: Var::Principal,
                aws_only: true,
            },
            true,
        ),
        other => (Slot::of(Var::Key(other.to_string())), false),
    }
}

/// A literal (exact, case-sensitive) atom.
pub fn literal_atom(text: &str, account: bool) -> Atom {
    Atom {
        op: BaseOp::StringEquals,
        value: CondValue::Pattern(Arc::new(Template::of_parts(
            text.chars().map(|c| Part::Tok(Tok::Lit(c))).collect(),
            false,
        ))),
        account,
    }
}

/// A `StringLike` atom (`*` and `?` wildcards).
pub fn glob_atom(pattern: &str) -> Atom {
    let template = Template::parse(pattern, Syntax::Wildcard, false, false)
        .unwrap_or(Template::of_parts(Vec::new(), false));
    Atom {
        op: BaseOp::StringLike,
        value: CondValue::Pattern(Arc::new(template)),
        account: false,
    }
}

/// An ARN-pattern atom.
pub fn arn_atom(pattern: &str) -> Atom {
    let template = Template::parse(pattern, Syntax::Arn, false, false)
        .unwrap_or(Template::of_parts(Vec::new(), false));
    Atom {
        op: BaseOp::ArnLike,
        value: CondValue::Pattern(Arc::new(template)),
        account: false,
    }
}

/// Whether the caller is the session `session` of the role `role` (a Principal entry
/// naming a session ARN; eval::principal_matches). The session ARN drops the role's
/// path: the caller's role is `role/R` or `role/PATH/R`.
fn session_matches<K: Sink>(sink: &mut K, role: &str, session: &str) -> F {
    let kind = sink.kind_is(Some(PrincipalKind::Aws));
    let role = Pred {
        atoms: vec![literal_atom(role, false), role_with_path_atom(role)],
        negated: false,
    };
    let name = Pred {
        atoms: vec![literal_atom(session, false)],
        negated: false,
    };
    let is_role = sink.exists(&Slot::of(Var::Principal), &role);
    let is_session = sink.exists(&Slot::of(Var::Key(ROLE_SESSION.into())), &name);
    and([kind, is_role, is_session])
}

/// The ARNs `arn:P:iam::A:role/PATH/R` of the role `arn:P:iam::A:role/R` with a path:
/// the literal up to `role/`, a non-empty run, then `/R` (a role name holds no `/`). An
/// `ArnLike` atom, which both encodings compare field by field; a name the ARN
/// syntax would read otherwise (IAM allows none such) gets the same set as a whole-string
/// pattern.
fn role_with_path_atom(role: &str) -> Atom {
    let (base, name) = role.rsplit_once('/').unwrap_or((role, ""));
    let plain = |t: &str| {
        t.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-:/".contains(c))
    };
    if plain(base) && plain(name) {
        return arn_atom(&format!("{base}/?*/{name}"));
    }
    let lit = |t: &str| {
        t.chars()
            .map(|c| Part::Tok(Tok::Lit(c)))
            .collect::<Vec<_>>()
    };
    let mut parts = lit(base);
    parts.push(Part::Tok(Tok::Lit('/')));
    parts.push(Part::Tok(Tok::Any));
    parts.push(Part::Tok(Tok::Star));
    parts.extend(lit(&format!("/{name}")));
    Atom {
        op: BaseOp::StringLike,
        value: CondValue::Pattern(Arc::new(Template::of_parts(parts, false))),
        account: false,
    }
}

/// The ARNs of role sessions, which are never an `aws:PrincipalArn`.
pub fn session_arn_atom() -> Atom {
    arn_atom("arn:*:sts::*:assumed-role/*")
}

/// Whether a policy names a role session in a Principal element: only then does a
/// query hold a session name beside the caller (ROLE_SESSION).
pub fn names_sessions(policies: &[&Policy]) -> bool {
    policies.iter().flat_map(|p| &p.statements).any(|s| {
        s.principals.iter().flat_map(|e| &e.items).any(|p| {
            matches!(p, PrincipalPattern::Exact(PrincipalKind::Aws, v) if eval::role_session(v).is_some())
        })
    })
}

/// An action-pattern atom (case-insensitive wildcards).
pub fn action_atom(glob: &Glob) -> Atom {
    folded_action_atom(Arc::new(Template::of_glob(glob, true)))
}

/// The same from an action's folded template (a policy's own, shared: no copy).
fn folded_action_atom(template: Arc<Template>) -> Atom {
    Atom {
        op: BaseOp::StringLike,
        value: CondValue::Pattern(template),
        account: false,
    }
}

fn element_pred<T>(set: &ElementSet<T>, atom: impl Fn(&T) -> Atom) -> Pred {
    Pred {
        atoms: set.items.iter().map(atom).collect(),
        negated: set.negated,
    }
}

/// Whether the action / resource of the request satisfy `pred`.
pub fn var_matches<K: Sink>(sink: &mut K, var: Var, pred: &Pred) -> F {
    sink.exists(&Slot::of(var), pred)
}

/// Whether the caller is named by a Principal entry (DESIGN.md §2).
pub fn principal_matches<K: Sink>(sink: &mut K, p: &PrincipalPattern) -> F {
    match p {
        PrincipalPattern::Everyone => term::t(),
        PrincipalPattern::AnyOfKind(k) => sink.kind_is(Some(*k)),
        PrincipalPattern::Account(a) => {
            let kind = sink.kind_is(Some(PrincipalKind::Aws));
            let pred = Pred {
                atoms: vec![literal_atom(a, true)],
                negated: false,
            };
            and([kind, sink.exists(&Slot::of(Var::Principal), &pred)])
        }
        PrincipalPattern::Exact(k, v) => {
            if *k == PrincipalKind::Aws
                && let Some((role, session)) = eval::role_session(v)
            {
                return session_matches(sink, &role, session);
            }
            let kind = sink.kind_is(Some(*k));
            let pred = Pred {
                atoms: vec![literal_atom(v, false)],
                negated: false,
            };
            and([kind, sink.exists(&Slot::of(Var::Principal), &pred)])
        }
    }
}

/// Whether statement `s` of `policy` applies to the symbolic request.
pub fn statement_applies<K: Sink>(sink: &mut K, s: &Statement) -> F {
    let mut parts = Vec::new();
    // A statement with a Principal element: a resource policy's, also where a context
    // merges one beside identity policies (src/context).
    if let Some(principals) = &s.principals {
        let any = or(principals
            .items
            .iter()
            .map(|p| principal_matches(sink, p))
            .collect::<Vec<_>>());
        parts.push(if principals.negated { not(any) } else { any });
    }
    let actions = element_pred(&s.actions, |a| folded_action_atom(a.template.clone()));
    parts.push(var_matches(sink, Var::Action, &actions));
    if let Some(resources) = &s.resources {
        let pred = element_pred(resources, |r| Atom {
            op: BaseOp::ArnLike,
            value: CondValue::Pattern(r.template.clone()),
            account: false,
        });
        parts.push(var_matches(sink, Var::Resource, &pred));
    }
    for c in &s.conditions {
        parts.push(condition(sink, c));
    }
    and(parts)
}

/// One condition (operator, key, values), exactly as `eval::condition_holds`.
pub fn condition<K: Sink>(sink: &mut K, c: &Condition) -> F {
    let (slot, account) = key_slot(&c.key);
    let op = &c.operator;
    let present = sink.present(&slot);
    if op.base == BaseOp::Null {
        return or(c
            .values
            .iter()
            .map(|v| match v {
                CondValue::Null(true) => not(present.clone()),
                CondValue::Null(false) => present.clone(),
                _ => term::f(),
            })
            .collect::<Vec<_>>());
    }
    let negated = op.base.is_negated();
    let pred = Pred {
        atoms: c
            .values
            .iter()
            .map(|v| Atom {
                op: op.base.positive(),
                value: v.clone(),
                account,
            })
            .collect(),
        negated,
    };
    let absent_case = op.if_exists
        || match op.qualifier {
            Some(SetQualifier::ForAllValues) => true,
            Some(SetQualifier::ForAnyValue) => false,
            None => negated,
        };
    let body = match op.qualifier {
        Some(SetQualifier::ForAllValues) => sink.forall(&slot, &pred),
        Some(SetQualifier::ForAnyValue) => sink.exists(&slot, &pred),
        None if negated => sink.forall(&slot, &pred),
        None => sink.exists(&slot, &pred),
    };
    or([
        and([not(present.clone()), term::F::Const(absent_case)]),
        and([present, body]),
    ])
}

/// The values of a documented type, as a predicate every value of a key satisfies: two
/// literals for Bool, the ARN shape, and "reads as a number / date / address" for the
/// others (a value that reads as none satisfies no atom of the family).
pub fn type_pred(scalar: crate::keys::Scalar) -> Option<Pred> {
    use crate::keys::Scalar;
    use crate::policy::Cmp;
    let atoms = match scalar {
        Scalar::String => return None,
        Scalar::Bool => vec![literal_atom("true", false), literal_atom("false", false)],
        Scalar::Arn => vec![arn_atom("arn:*:*:*:*:*")],
        Scalar::Numeric => [Cmp::Ge, Cmp::Lt]
            .map(|c| Atom {
                op: BaseOp::Numeric(c),
                value: CondValue::Number(rust_decimal::Decimal::ZERO),
                account: false,
            })
            .to_vec(),
        Scalar::Date => [Cmp::Ge, Cmp::Lt]
            .map(|c| Atom {
                op: BaseOp::Date(c),
                value: CondValue::Date(0),
                account: false,
            })
            .to_vec(),
        Scalar::Ip => ["0.0.0.0/0", "::/0"]
            .iter()
            .filter_map(|n| n.parse().ok())
            .map(|n| Atom {
                op: BaseOp::IpAddress,
                value: CondValue::Ip(n),
                account: false,
            })
            .collect(),
    };
    Some(Pred {
        atoms,
        negated: false,
    })
}

/// What AWS documents about the keys a query reads (src/keys): each value has the key's
/// type, and a key that every request of a kind carries is present in those requests.
pub fn key_facts<K: Sink>(sink: &mut K, policies: &[&Policy]) -> F {
    use crate::keys::{self, Availability};
    let mut read = BTreeSet::new();
    for p in policies {
        for s in &p.statements {
            read.extend(s.conditions.iter().map(|c| c.key.as_str()));
        }
    }
    let mut facts = Vec::new();
    for key in read {
        let (slot, account) = key_slot(key);
        if slot.var == Var::Principal || account {
            // The caller itself (principals.md): its shape is a domain fact already.
            continue;
        }
        facts.push(sink.typed(&slot, keys::key_type(key).scalar));
        match keys::availability(key) {
            Some(Availability::Always) => facts.push(sink.present(&slot)),
            Some(Availability::IamCaller) => {
                let iam = sink.kind_is(Some(PrincipalKind::Aws));
                let present = sink.present(&slot);
                facts.push(or([not(iam), present]));
            }
            None => {}
        }
    }
    and(facts)
}

/// What the policies say about each variable, gathered before regions are built.
#[derive(Debug, Default, Clone)]
pub struct Collector {
    pub atoms: BTreeMap<Var, Vec<Atom>>,
    /// Keys read per value by a set qualifier, or known to be multivalued.
    pub multivalued: BTreeSet<String>,
    /// How many exists/forall questions each key meets (bounds the strings backend's
    /// value slots: a counterexample needs at most one value per such question).
    pub questions: BTreeMap<Var, usize>,
    /// Keys named by policy variables.
    pub variable_keys: BTreeSet<String>,
    /// Whether anything reads the principal.
    pub principal_used: bool,
    /// Whether a condition asks if the caller's derived keys are present (`Null` on
    /// `aws:PrincipalAccount`): the answer depends on who the caller is.
    pub principal_presence_read: bool,
    /// The distinct predicates asked of each variable, as sorted positions in `atoms`:
    /// values on which all of them agree are interchangeable, so the finitized
    /// encoding's regions need to tell only these apart.
    pub preds: BTreeMap<Var, rustc_hash::FxHashSet<Vec<u32>>>,
    /// Positions in `atoms` by atom hash ([`atom_hash`]), for de-duplication without
    /// cloning; the finitized encoding takes it over.
    pub known: BTreeMap<Var, rustc_hash::FxHashMap<u64, Positions>>,
}

/// The positions of the atoms that share one hash: almost always a single one, kept
/// without allocating (20,000 literal actions made 20,000 one-element vectors).
#[derive(Debug, Clone, Default)]
pub struct Positions {
    first: Option<u32>,
    more: Vec<u32>,
}

impl Positions {
    pub fn push(&mut self, i: u32) {
        match self.first {
            None => self.first = Some(i),
            Some(_) => self.more.push(i),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.first.into_iter().chain(self.more.iter().copied())
    }
}

/// A fast hash of an atom (for indexes that compare atoms on collision).
pub fn atom_hash(a: &Atom) -> u64 {
    use std::hash::BuildHasher;
    std::hash::BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(a)
}

impl Collector {
    pub fn note_pred(&mut self, slot: &Slot, pred: &Pred) {
        let list = self.atoms.entry(slot.var.clone()).or_default();
        let known = self.known.entry(slot.var.clone()).or_default();
        let mut positions = Vec::with_capacity(pred.atoms.len());
        for a in &pred.atoms {
            let at = known.entry(atom_hash(a)).or_default();
            let found = at.iter().find(|&i| list[i as usize] == *a);
            let position = match found {
                Some(i) => i,
                None => {
                    let i = list.len() as u32;
                    at.push(i);
                    list.push(a.clone());
                    i
                }
            };
            positions.push(position);
            if let CondValue::Pattern(t) = &a.value {
                for v in &t.vars {
                    self.variable_keys.insert(v.key.clone());
                    if v.key == PRINCIPAL_ACCOUNT || v.key == PRINCIPAL_ARN {
                        // The caller's own value fills the pattern: a counterexample
                        // names it.
                        self.principal_used = true;
                        self.principal_presence_read = true;
                    }
                }
            }
        }
        positions.sort_unstable();
        positions.dedup();
        self.preds
            .entry(slot.var.clone())
            .or_default()
            .insert(positions);
        *self.questions.entry(slot.var.clone()).or_default() += 1;
        if slot.var == Var::Principal {
            self.principal_used = true;
        }
    }

    /// Walks every condition of a policy to learn which keys are multivalued.
    pub fn note_policy(&mut self, policy: &Policy) {
        for s in &policy.statements {
            for c in &s.conditions {
                if c.operator.qualifier.is_some() {
                    self.multivalued.insert(c.key.clone());
                }
            }
        }
    }

    /// Whether a policy reads the caller (beyond the domain fact that an IAM caller's
    /// value is an ARN): only then does a counterexample name a principal.
    pub fn principal_relevant(&self) -> bool {
        let domain = [arn_atom("arn:*:*:*:*:*"), session_arn_atom()];
        self.principal_used
            && (self.principal_presence_read
                || self
                    .atoms
                    .get(&Var::Principal)
                    .is_some_and(|atoms| atoms.iter().any(|a| !domain.contains(a))))
    }

    pub fn is_multivalued(&self, key: &str) -> bool {
        self.multivalued.contains(key) || crate::keys::key_type(key).multivalued
    }

    pub fn families(&self, var: &Var) -> BTreeSet<ValueFamily> {
        self.atoms
            .get(var)
            .map(|atoms| atoms.iter().map(Atom::family).collect())
            .unwrap_or_default()
    }

    pub fn keys(&self) -> Vec<String> {
        let mut keys: BTreeSet<String> = self
            .atoms
            .keys()
            .filter_map(|v| match v {
                Var::Key(k) => Some(k.clone()),
                _ => None,
            })
            .collect();
        keys.extend(
            self.variable_keys
                .iter()
                .filter(|k| k.as_str() != PRINCIPAL_ARN && k.as_str() != PRINCIPAL_ACCOUNT)
                .cloned(),
        );
        keys.into_iter().collect()
    }
}

impl Sink for Collector {
    fn exists(&mut self, slot: &Slot, pred: &Pred) -> F {
        self.note_pred(slot, pred);
        term::t()
    }
    fn forall(&mut self, slot: &Slot, pred: &Pred) -> F {
        self.note_pred(slot, pred);
        term::t()
    }
    fn present(&mut self, slot: &Slot) -> F {
        self.atoms.entry(slot.var.clone()).or_default();
        if slot.var == Var::Principal {
            self.principal_used = true;
            self.principal_presence_read = true;
        }
        term::t()
    }
    fn kind_is(&mut self, _: Option<PrincipalKind>) -> F {
        self.principal_used = true;
        term::t()
    }
}
