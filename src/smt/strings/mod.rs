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

use crate::eval::{Context, Request};
use crate::pattern::{Part, Tok};
use crate::policy::{Cmp, CondValue, PolicyType, PrincipalKind};

use super::encode::{
    Atom, Collector, PRINCIPAL_ACCOUNT, PRINCIPAL_ARN, Pred, Sink, Slot, ValueFamily, Var,
};
use super::finite::make_principal;
use super::regions::{self};
use super::term::{self, F, Re, S, Script, Sort, and, implies, int_eq, not, or};
use super::{Assignment, DecodeError, Unsupported, kind_code, kind_from_code};

mod atoms;

use atoms::{glob_re, join_fields, non_arn_regions, owner, six_fields};

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
                return match super::encode::type_pred(scalar) {
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
    fn text(&self, m: &dyn Assignment, name: &str) -> Result<String, DecodeError> {
        m.string(name)
            .ok_or_else(|| DecodeError::Internal(format!("no model value for `{name}`")))
    }

    /// Renders one value slot: a typed view when the value reads as that type, else text.
    fn slot_value(
        &self,
        m: &dyn Assignment,
        kv: &KeyVars,
        j: usize,
    ) -> Result<String, DecodeError> {
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

    pub fn decode(&self, m: &dyn Assignment) -> Result<Request, DecodeError> {
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
