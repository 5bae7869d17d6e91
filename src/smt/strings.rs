//! The plain strings lowering: every value is an SMT string, every pattern a regular
//! expression. It is the encoding closest to the IAM semantics (proof files use it), the
//! differential cross-check of the finitized one, and the one that handles policy
//! variables, which relate two values.
//!
//! A multivalued key gets as many value slots as the formula asks questions about it,
//! plus one: in negation normal form every question is one literal, each existential
//! literal needs one witness value and dropping the other values keeps every universal
//! literal true, so no counterexample needs more values than that.
//!
//! Numbers, dates and addresses are typed views of a value (a real, an integer of
//! milliseconds, a bit-vector), each with a flag saying whether the value reads as that
//! type. The views are not tied to the text; a counterexample that needs one value to be
//! two things at once is reported as inconclusive, never as a proof.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use ipnet::IpNet;

use crate::eval::{Context, Request};
use crate::pattern::{Part, Tok, literal_text};
use crate::policy::{BaseOp, Cmp, CondValue, PolicyType, PrincipalKind};

use super::finite::make_principal;
use super::model::{
    Atom, Collector, PRINCIPAL_ACCOUNT, PRINCIPAL_ARN, Pred, Sink, Slot, ValueFamily, Var,
};
use super::regions::{self, case_variants};
use super::term::{self, F, I, Re, S, Script, Sort, and, concat, implies, int_eq, not, or};
use super::{DecodeError, ModelView, Unsupported, kind_code, kind_from_code};

#[derive(Debug, Clone)]
struct KeyVars {
    name: String,
    slots: usize,
    families: BTreeSet<ValueFamily>,
    /// Constants of the key's numeric and date atoms, to render a model value exactly.
    numbers: Vec<rust_decimal::Decimal>,
    dates: Vec<i64>,
}

pub struct Strings {
    pub script: Script,
    keys: BTreeMap<String, KeyVars>,
    /// Variables every text atom of which ignores case: they range over lower-cased
    /// strings, so case-insensitive patterns are plain literals.
    folded_domain: BTreeSet<String>,
    /// Resources that are not six-field ARNs, finitized: (witness, truth of each
    /// resource atom). `None` when the exploration budget was exceeded.
    resource_other: Option<Vec<(String, Vec<bool>)>>,
    resource_atoms: HashMap<Atom, usize>,
    /// Proof mode: nothing hornbeam computed is taken on trust; a resource that is not a
    /// six-field ARN is a plain string too.
    plain: bool,
    policy_type: PolicyType,
    principal_used: bool,
    /// Patterns with policy variables encoded so far (each names its own constants),
    /// by pattern and text: a pattern that stands twice on one text is one constant.
    templates: BTreeMap<(crate::pattern::Template, String), F>,
    error: Option<Unsupported>,
}

fn glob_re(toks: &[Tok], folded: bool) -> Re {
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

fn net_parts(net: &IpNet) -> (u32, u128, u128) {
    match net {
        IpNet::V4(n) => (
            32,
            u32::from(n.netmask()) as u128,
            u32::from(n.network()) as u128,
        ),
        IpNet::V6(n) => (128, u128::from(n.netmask()), u128::from(n.network())),
    }
}

fn cmp_of(op: BaseOp) -> Cmp {
    match op {
        BaseOp::Numeric(c) | BaseOp::Date(c) => c,
        _ => Cmp::Eq,
    }
}

fn owner(v: &Var) -> String {
    match v {
        Var::Action => "action".to_string(),
        Var::Resource => "resource".to_string(),
        Var::Principal => "principal".to_string(),
        Var::Key(k) => k.clone(),
    }
}

/// An IAM caller's value: an ARN of six fields.
fn caller_shape() -> Atom {
    super::model::arn_atom("arn:*:*:*:*:*")
}

/// Six fields: at least five colons (the first five split the fields).
fn six_fields() -> Atom {
    super::model::arn_atom("*:*:*:*:*:*")
}

/// Whether a pattern has six fields: it then holds five literal colons, so it matches
/// no value with fewer than five.
fn has_six_fields(a: &Atom) -> bool {
    matches!(&a.value, CondValue::Pattern(t) if split_fields(&t.parts).len() == 6)
}

/// Regions of the resource values with fewer than five colons (where every pattern of
/// six fields, and so every pattern with a policy variable, is false).
fn non_arn_regions(atoms: &[Atom]) -> Option<Vec<(String, Vec<bool>)>> {
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
fn split_fields(parts: &[Part]) -> Vec<Vec<Part>> {
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
fn join_fields(fields: Vec<S>) -> S {
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
fn field_toks(toks: &[Tok]) -> Vec<Tok> {
    toks.iter()
        .map(|t| match t {
            Tok::StarNoColon => Tok::Star,
            Tok::AnyNoColon => Tok::Any,
            other => *other,
        })
        .collect()
}

/// Terms of a value that is a six-field ARN in one case and something else otherwise.
struct ArnTerms {
    is_arn: F,
    fields: Vec<S>,
    other: Other,
    /// The other case has fewer than five colons (the resource): six-field patterns fail.
    few_colons: bool,
}

enum Other {
    /// Finitized regions chosen by an integer constant.
    Regions(String),
    /// A plain string constant.
    Text(S),
}

/// The value terms of one slot of a variable.
struct SlotTerms {
    text: S,
    /// The variable ranges over lower-cased strings.
    folded_domain: bool,
    /// Names of the typed views (`{base}_n`, `{base}_d`, `{base}_ip4`, `{base}_ip6`).
    base: Option<String>,
    /// Field terms for the resource and the principal.
    arn: Option<ArnTerms>,
}

impl Strings {
    pub fn new(collector: &Collector, policy_type: PolicyType) -> Strings {
        Self::build(collector, policy_type, false)
    }

    /// The self-contained variant for proof files: every fact is stated as strings and
    /// regular expressions a solver re-derives, none as a region hornbeam computed.
    pub fn plain(collector: &Collector, policy_type: PolicyType) -> Strings {
        Self::build(collector, policy_type, true)
    }

    fn build(collector: &Collector, policy_type: PolicyType, plain: bool) -> Strings {
        let mut keys = BTreeMap::new();
        for (n, key) in collector.keys().into_iter().enumerate() {
            let var = Var::Key(key.clone());
            let questions = collector.questions.get(&var).copied().unwrap_or(0);
            let slots = if collector.is_multivalued(&key) {
                questions + 1
            } else {
                1
            };
            let atoms = collector.atoms.get(&var).cloned().unwrap_or_default();
            keys.insert(
                key.clone(),
                KeyVars {
                    name: format!("key{n}"),
                    slots,
                    families: collector.families(&var),
                    numbers: atoms
                        .iter()
                        .filter_map(|a| match a.value {
                            CondValue::Number(d) => Some(d),
                            _ => None,
                        })
                        .collect(),
                    dates: atoms
                        .iter()
                        .filter_map(|a| match a.value {
                            CondValue::Date(d) => Some(d),
                            _ => None,
                        })
                        .collect(),
                },
            );
        }
        let folded_domain = collector
            .atoms
            .iter()
            .filter(|(_, atoms)| {
                let text: Vec<&Atom> = atoms
                    .iter()
                    .filter(|a| a.family() == ValueFamily::Text)
                    .collect();
                !text.is_empty()
                    && text.iter().all(
                        |a| matches!(&a.value, CondValue::Pattern(t) if t.folded && !a.account),
                    )
            })
            .map(|(v, _)| owner(v))
            .collect();
        let resource_atoms: Vec<Atom> = collector
            .atoms
            .get(&Var::Resource)
            .cloned()
            .unwrap_or_default();
        let resource_other = if plain {
            None
        } else {
            non_arn_regions(&resource_atoms)
        };
        let mut me = Strings {
            script: Script::default(),
            keys,
            folded_domain,
            resource_other,
            resource_atoms: resource_atoms
                .iter()
                .enumerate()
                .map(|(i, a)| (a.clone(), i))
                .collect(),
            plain,
            policy_type,
            principal_used: collector.principal_relevant(),
            templates: BTreeMap::new(),
            error: None,
        };
        // A key AWS types as a number, date or address holds that type's values, and this
        // encoding keeps a value's text and its typed view apart: a key also compared as
        // text (`StringEquals s3:max-keys 100` beside `NumericEquals`) would get a model
        // whose two views disagree. The finitized encoding decides it exactly.
        for key in me.keys.keys() {
            let typed = matches!(
                crate::keys::key_type(key).scalar,
                crate::keys::Scalar::Numeric | crate::keys::Scalar::Date | crate::keys::Scalar::Ip
            );
            // `*` holds on every value, whatever its view: it constrains nothing.
            let constrains_text = |a: &&Atom| {
                a.family() == ValueFamily::Text && a.glob().is_none_or(|g| g.toks != [Tok::Star])
            };
            let text_atoms = collector
                .atoms
                .get(&Var::Key(key.clone()))
                .is_some_and(|atoms| atoms.iter().any(|a| constrains_text(&a)));
            if typed && text_atoms {
                me.error = Some(Unsupported(format!(
                    "string and typed comparisons of the one key `{key}` in the strings encoding"
                )));
            }
        }
        me.declare(collector);
        me
    }

    fn declare(&mut self, collector: &Collector) {
        let s = &mut self.script;
        let folded_vars: BTreeSet<String> = collector
            .atoms
            .iter()
            .filter(|(_, atoms)| {
                atoms
                    .iter()
                    .any(|a| matches!(&a.value, CondValue::Pattern(t) if t.folded))
            })
            .map(|(v, _)| owner(v))
            .collect();
        // Characters the case-insensitive patterns name (lower-cased already).
        let mut named: BTreeSet<char> = BTreeSet::new();
        for atoms in collector.atoms.values() {
            for a in atoms {
                if let CondValue::Pattern(t) = &a.value {
                    for p in &t.parts {
                        if let Part::Tok(Tok::Lit(c)) = p {
                            named.insert(*c);
                        }
                    }
                }
            }
        }
        let mut text_vars = vec![
            ("action".to_string(), "action".to_string()),
            ("principal".to_string(), "principal".to_string()),
        ];
        // The resource and an IAM caller's ARN are six fields; fields 1-5 hold no `:`.
        for prefix in ["res", "pr"] {
            for i in 0..6 {
                let f = format!("{prefix}_f{i}");
                s.declare(&f, Sort::Str);
                if i < 5 {
                    s.assert(
                        format!("`{prefix}` ARN field {i} holds no `:`"),
                        not(F::Contains(S::Var(f.clone()), S::Lit(":".into()))),
                    );
                }
            }
        }
        s.declare("res_arn", Sort::Bool);
        if self.plain {
            s.declare("res_text", Sort::Str);
            let shape = six_fields().glob().map(|g| glob_re(&g.toks, false));
            if let Some(shape) = shape {
                s.assert(
                    "a resource with fewer than five colons is the string `res_text`; a pattern of six fields holds five literal colons and is written `false` on it",
                    or([
                        term::var("res_arn"),
                        not(F::InRe(S::Var("res_text".into()), shape)),
                    ]),
                );
            }
        } else {
            let others = self.resource_other.as_ref().map_or(0, Vec::len) as i64;
            s.declare("res_other", Sort::Int);
            s.assert(
                format!("a resource with fewer than five colons lies in one of {others} regions"),
                or([
                    term::var("res_arn"),
                    and([
                        F::IntCmp("res_other".into(), Cmp::Ge, 0),
                        F::IntCmp("res_other".into(), Cmp::Lt, others),
                    ]),
                ]),
            );
        }
        super::declare_principal_kind(s);
        for (key, k) in &self.keys {
            for j in 0..k.slots {
                let base = format!("{}_{j}", k.name);
                s.declare(&format!("{base}_p"), Sort::Bool);
                text_vars.push((format!("{base}_s"), key.clone()));
                if j > 0 {
                    s.assert(
                        format!("`{key}`: value slots fill in order"),
                        implies(
                            term::var(&format!("{base}_p")),
                            term::var(&format!("{}_{}_p", k.name, j - 1)),
                        ),
                    );
                }
                for family in &k.families {
                    match family {
                        ValueFamily::Number => {
                            s.declare(&format!("{base}_n"), Sort::Real);
                            s.declare(&format!("{base}_isn"), Sort::Bool);
                        }
                        ValueFamily::Date => {
                            s.declare(&format!("{base}_d"), Sort::Int);
                            s.declare(&format!("{base}_isd"), Sort::Bool);
                        }
                        ValueFamily::Ip => {
                            s.declare(&format!("{base}_ip4"), Sort::Bv(32));
                            s.declare(&format!("{base}_ip6"), Sort::Bv(128));
                            s.declare(&format!("{base}_is4"), Sort::Bool);
                            s.declare(&format!("{base}_is6"), Sort::Bool);
                            s.assert(
                                format!("`{key}`: an address is IPv4 or IPv6, not both"),
                                not(and([
                                    term::var(&format!("{base}_is4")),
                                    term::var(&format!("{base}_is6")),
                                ])),
                            );
                        }
                        ValueFamily::Text => {}
                    }
                }
            }
        }
        for (name, owner) in &text_vars {
            s.declare(name, Sort::Str);
            if self.folded_domain.contains(owner) {
                // Every pattern sees the value lower-cased, and characters no pattern
                // names are interchangeable: lower-case-stable printable ASCII plus the
                // characters the patterns name lose no counterexample.
                let mut chars: Vec<char> =
                    (' '..='~').filter(|c| !c.is_ascii_uppercase()).collect();
                chars.extend(named.iter().copied().filter(|c| !c.is_ascii()));
                s.assert(
                    format!(
                        "`{owner}`: compared only ignoring case, so its value is taken lower-cased"
                    ),
                    F::InRe(S::Var(name.clone()), Re::Star(Box::new(Re::Chars(chars)))),
                );
            } else if folded_vars.contains(owner) {
                s.assert(
                    format!(
                        "`{owner}`: U+0130 lower-cases to two characters, which regular expressions over single characters cannot follow"
                    ),
                    not(F::Contains(S::Var(name.clone()), S::Lit("\u{130}".into()))),
                );
            }
        }
    }

    fn fail(&mut self, why: String) -> F {
        if self.error.is_none() {
            self.error = Some(Unsupported(why));
        }
        term::f()
    }

    /// The action is one of `names` (compared as the encoding holds the action: lower-cased
    /// when every pattern ignores its case, which action patterns always do).
    pub fn action_is_one_of(&self, names: &[String]) -> F {
        let folded = self.folded_domain.contains("action");
        or(names
            .iter()
            .map(|n| {
                let lit = if folded {
                    crate::pattern::fold(n)
                } else {
                    n.clone()
                };
                F::StrEq(S::Var("action".into()), S::Lit(lit))
            })
            .collect::<Vec<_>>())
    }

    pub fn take_error(&mut self) -> Option<Unsupported> {
        self.error.take()
    }

    fn kind_aws(&self) -> F {
        int_eq("pkind", kind_code(Some(PrincipalKind::Aws)))
    }

    /// (presence, value terms) of every slot of a variable.
    fn slots(&mut self, slot: &Slot) -> Vec<(F, SlotTerms)> {
        let folded = |v: &Var| self.folded_domain.contains(&owner(v));
        let single = |name: &str, v: &Var| SlotTerms {
            text: S::Var(name.to_string()),
            folded_domain: folded(v),
            base: None,
            arn: None,
        };
        let fields =
            |prefix: &str| -> Vec<S> { (0..6).map(|i| S::Var(format!("{prefix}_f{i}"))).collect() };
        match &slot.var {
            Var::Action => vec![(term::t(), single("action", &Var::Action))],
            Var::Resource => {
                let mut terms = single("resource", &Var::Resource);
                terms.text = join_fields(fields("res"));
                terms.arn = Some(ArnTerms {
                    is_arn: term::var("res_arn"),
                    fields: fields("res"),
                    other: if self.plain {
                        Other::Text(S::Var("res_text".into()))
                    } else {
                        Other::Regions("res_other".into())
                    },
                    few_colons: true,
                });
                vec![(term::t(), terms)]
            }
            Var::Principal => {
                let present = if slot.aws_only {
                    self.kind_aws()
                } else {
                    not(int_eq("pkind", 0))
                };
                let mut terms = single("principal", &Var::Principal);
                terms.arn = Some(ArnTerms {
                    is_arn: self.kind_aws(),
                    fields: fields("pr"),
                    other: Other::Text(S::Var("principal".into())),
                    few_colons: false,
                });
                vec![(present, terms)]
            }
            Var::Key(k) => match self.keys.get(k) {
                Some(kv) => {
                    let folded_domain = folded(&slot.var);
                    (0..kv.slots)
                        .map(|j| {
                            let base = format!("{}_{j}", kv.name);
                            (
                                term::var(&format!("{base}_p")),
                                SlotTerms {
                                    text: S::Var(format!("{base}_s")),
                                    folded_domain,
                                    base: Some(base),
                                    arn: None,
                                },
                            )
                        })
                        .collect()
                }
                None => {
                    self.fail(format!("internal: undeclared key `{k}`"));
                    Vec::new()
                }
            },
        }
    }

    /// The value of a policy variable and whether it is defined.
    fn variable(&mut self, key: &str) -> Option<(F, S)> {
        if key == PRINCIPAL_ARN {
            let fields = (0..6).map(|i| S::Var(format!("pr_f{i}"))).collect();
            return Some((self.kind_aws(), join_fields(fields)));
        }
        if key == PRINCIPAL_ACCOUNT {
            // An IAM caller's account: its ARN's account field.
            return Some((self.kind_aws(), S::Var("pr_f4".into())));
        }
        let kv = self.keys.get(key)?;
        let first = format!("{}_0", kv.name);
        let mut defined = vec![term::var(&format!("{first}_p"))];
        if kv.slots > 1 {
            defined.push(not(term::var(&format!("{}_1_p", kv.name))));
        }
        Some((and(defined), S::Var(format!("{first}_s"))))
    }

    fn atom(&mut self, a: &Atom, slot: &SlotTerms) -> F {
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
    fn atom_fields(&mut self, a: &Atom, fields: &[S]) -> F {
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

    fn atom_whole(&mut self, a: &Atom, slot: &SlotTerms) -> F {
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
    fn template(&mut self, t: &crate::pattern::Template, text: &S) -> F {
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
    fn fixed_text(&mut self, t: &crate::pattern::Template, parts: &[Part]) -> Option<(S, Vec<F>)> {
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
    fn text_formula(&mut self, text: &S, before: &[Tok], fixed: S, after: &[Tok]) -> Option<F> {
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
    fn middle(&mut self, text: &S, before: &[Tok], fixed: S, after: &[Tok]) -> Option<F> {
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

    fn pred(&mut self, pred: &Pred, slot: &SlotTerms) -> F {
        let any = or(pred
            .atoms
            .iter()
            .map(|a| self.atom(a, slot))
            .collect::<Vec<_>>());
        if pred.negated { not(any) } else { any }
    }
}

impl Sink for Strings {
    fn exists(&mut self, slot: &Slot, pred: &Pred) -> F {
        let slots = self.slots(slot);
        or(slots
            .into_iter()
            .map(|(present, terms)| and([present, self.pred(pred, &terms)]))
            .collect::<Vec<_>>())
    }

    fn forall(&mut self, slot: &Slot, pred: &Pred) -> F {
        let slots = self.slots(slot);
        and(slots
            .into_iter()
            .map(|(present, terms)| implies(present, self.pred(pred, &terms)))
            .collect::<Vec<_>>())
    }

    fn present(&mut self, slot: &Slot) -> F {
        let slots = self.slots(slot);
        or(slots.into_iter().map(|(p, _)| p).collect::<Vec<_>>())
    }

    fn kind_is(&mut self, kind: Option<PrincipalKind>) -> F {
        int_eq("pkind", kind_code(kind))
    }

    /// A number, date or address is a value whose typed view reads: the flags of the
    /// view (`present ⇒ isn`), equivalent to the type's predicate and free of
    /// arithmetic.
    fn typed(&mut self, slot: &Slot, scalar: crate::keys::Scalar) -> F {
        use crate::keys::Scalar;
        let flags: &[&str] = match scalar {
            Scalar::Numeric => &["isn"],
            Scalar::Date => &["isd"],
            Scalar::Ip => &["is4", "is6"],
            _ => {
                return match super::model::type_pred(scalar) {
                    Some(pred) => self.forall(slot, &pred),
                    None => term::t(),
                };
            }
        };
        let slots = self.slots(slot);
        let mut out = Vec::new();
        for (present, terms) in slots {
            let Some(base) = &terms.base else {
                return self.fail("a typed action, resource or principal".into());
            };
            let read = or(flags
                .iter()
                .map(|f| term::var(&format!("{base}_{f}")))
                .collect::<Vec<_>>());
            out.push(implies(present, read));
        }
        and(out)
    }

    fn define(&mut self, name: &str, comment: &str, term: F) -> F {
        self.script.define(name, comment, term)
    }
}

/// Compares a model rational with a decimal constant: the sign of `num/den - c`.
fn compare_rational(num: i64, den: i64, c: &rust_decimal::Decimal) -> Option<std::cmp::Ordering> {
    let scale = 10i128.checked_pow(c.scale())?;
    let left = (num as i128).checked_mul(scale)?;
    let right = c.mantissa().checked_mul(den as i128)?;
    let ord = left.cmp(&right);
    Some(if den < 0 { ord.reverse() } else { ord })
}

impl Strings {
    fn text(&self, m: &dyn ModelView, name: &str) -> Result<String, DecodeError> {
        m.string(name)
            .ok_or_else(|| DecodeError::Internal(format!("no model value for `{name}`")))
    }

    /// Renders one value slot: a typed view when the value reads as that type, else text.
    fn slot_value(&self, m: &dyn ModelView, kv: &KeyVars, j: usize) -> Result<String, DecodeError> {
        let base = format!("{}_{j}", kv.name);
        let flag = |f: &str| m.bool(&format!("{base}_{f}")).unwrap_or(false);
        if kv.families.contains(&ValueFamily::Number) && flag("isn") {
            let (num, den) = m.real(&format!("{base}_n")).ok_or_else(|| {
                DecodeError::Unrealizable("a numeric value too large to render".into())
            })?;
            // The witness of the same cell: equal truth for every comparison.
            let target: Option<Vec<_>> = kv
                .numbers
                .iter()
                .map(|c| compare_rational(num, den, c))
                .collect();
            let target = target.ok_or_else(|| {
                DecodeError::Unrealizable("a numeric value too large to render".into())
            })?;
            return regions::number_candidates(&kv.numbers)
                .into_iter()
                .find(|w| {
                    crate::policy::condition::parse_number(w).is_some_and(|d| {
                        kv.numbers
                            .iter()
                            .map(|c| d.cmp(c))
                            .eq(target.iter().copied())
                    })
                })
                .ok_or_else(|| DecodeError::Internal("no number in the model's cell".into()));
        }
        if kv.families.contains(&ValueFamily::Date) && flag("isd") {
            let ms = m
                .int(&format!("{base}_d"))
                .ok_or_else(|| DecodeError::Internal("no date value".into()))?;
            if let Some(text) = regions::format_date(ms) {
                return Ok(text);
            }
            return regions::date_candidates(&kv.dates)
                .into_iter()
                .find(|w| {
                    crate::policy::condition::parse_date(w).is_some_and(|d| {
                        kv.dates
                            .iter()
                            .map(|c| d.cmp(c))
                            .eq(kv.dates.iter().map(|c| ms.cmp(c)))
                    })
                })
                .ok_or_else(|| DecodeError::Unrealizable("a date outside the calendar".into()));
        }
        if kv.families.contains(&ValueFamily::Ip) {
            if flag("is4") {
                let v = m.bv(&format!("{base}_ip4"), 32).unwrap_or(0);
                return Ok(IpAddr::V4((v as u32).into()).to_string());
            }
            if flag("is6") {
                let v = m.bv(&format!("{base}_ip6"), 128).unwrap_or(0);
                return Ok(IpAddr::V6(v.into()).to_string());
            }
        }
        self.text(m, &format!("{base}_s"))
    }

    pub fn decode(&self, m: &dyn ModelView) -> Result<Request, DecodeError> {
        let kind = kind_from_code(
            m.int("pkind")
                .ok_or_else(|| DecodeError::Internal("no principal kind".into()))?,
        );
        let join = |prefix: &str| -> Result<String, DecodeError> {
            let fields: Result<Vec<String>, DecodeError> = (0..6)
                .map(|i| self.text(m, &format!("{prefix}_f{i}")))
                .collect();
            Ok(fields?.join(":"))
        };
        let principal = match (self.policy_type, self.principal_used) {
            (PolicyType::Identity, false) => None,
            _ => Some(make_principal(
                kind,
                match kind {
                    None => None,
                    Some(PrincipalKind::Aws) => Some(join("pr")?),
                    Some(_) => Some(self.text(m, "principal")?),
                },
            )?),
        };
        let resource = if m.bool("res_arn").unwrap_or(false) {
            join("res")?
        } else if self.plain {
            self.text(m, "res_text")?
        } else {
            let r = m.int("res_other").unwrap_or(-1);
            self.resource_other
                .as_ref()
                .and_then(|list| list.get(usize::try_from(r).ok()?))
                .map(|(w, _)| w.clone())
                .ok_or_else(|| DecodeError::Internal(format!("resource region {r} out of range")))?
        };
        let mut context = Context::default();
        for (key, kv) in &self.keys {
            let mut values = Vec::new();
            for j in 0..kv.slots {
                if m.bool(&format!("{}_{j}_p", kv.name)).unwrap_or(false) {
                    values.push(self.slot_value(m, kv, j)?);
                }
            }
            if !values.is_empty() {
                context.add(key, values);
            }
        }
        Ok(Request {
            principal,
            action: self.text(m, "action")?,
            resource,
            context,
        })
    }
}
