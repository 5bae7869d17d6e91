//! Policy variables on the finitized path (encodings/policy-variables.md): a query whose
//! variables are all whole condition values (`"aws:ResourceAccount":
//! "${aws:PrincipalAccount}"`, the ABAC form `"aws:RequestTag/team":
//! "${aws:PrincipalTag/team}"`) is decided as a few variable-free queries, one per value
//! a variable needs to take.
//!
//! A variable `${K}` in the value of a condition on key `J` relates the two keys' values
//! by equality (a substituted value is literal). Whether a request satisfies the query
//! then depends on `K`'s value `v` only through the atoms on `K` itself and on every `J`
//! compared with it: two values that lie in the same region of those atoms (the
//! finitized encoding's regions, `smt::finite::value_candidates`) are interchangeable.
//! Given a request that satisfies the query with `K = v`, replace `v` by the candidate
//! `c` of its region, and each `J` value equal to `v` by `c`; a `J` value that is not `v`
//! but happens to be `c` moves to another value of the same region (a region that is not
//! a single literal has more than one value). Every atom keeps its truth, so the query
//! is satisfiable iff it is with `K` among the candidates (or absent). Each case
//! substitutes the value into the policies and adds `K = c` (or `K` absent) as one more
//! limit, and the query is variable-free.

use crate::checks::{CheckError, CheckResult, Run, Verdict};
use crate::policy::{BaseOp, CondValue, Condition, Family, Policy, PolicyType, Statement};
use crate::smt::encode::{Atom, type_pred};
use crate::smt::encode::{PRINCIPAL_ACCOUNT, PRINCIPAL_ARN};

/// The most cases one check is split into.
const MAX_CASES: usize = 256;

/// One variable key's values to try: `None` is "absent".
#[derive(Debug, Clone)]
struct Choices {
    key: String,
    values: Vec<Option<String>>,
}

/// Why the variables of a query are not of the forms decided here.
fn unsupported(why: impl Into<String>) -> Result<Option<Vec<Choices>>, String> {
    Err(why.into())
}

/// The variable keys of a condition value that is exactly one variable (`${K}` or
/// `${K, 'default'}`).
fn whole_variable(v: &CondValue) -> Option<&crate::pattern::Variable> {
    let CondValue::Pattern(t) = v else {
        return None;
    };
    match (t.parts.as_slice(), t.vars.as_slice()) {
        ([crate::pattern::Part::Var(0)], [var]) => Some(var),
        _ => None,
    }
}

fn has_variables(v: &CondValue) -> bool {
    matches!(v, CondValue::Pattern(t) if t.has_variables())
}

/// String and ARN comparisons that are case-sensitive.
fn equality_operator(op: BaseOp) -> bool {
    matches!(op.family(), Family::String | Family::Arn)
        && !matches!(
            op,
            BaseOp::StringEqualsIgnoreCase | BaseOp::StringNotEqualsIgnoreCase
        )
}

/// A key's values as the query reads them: string- or ARN-typed and single-valued.
fn plain_key(key: &str) -> bool {
    let t = crate::keys::key_type(key);
    !t.multivalued
        && matches!(
            t.scalar,
            crate::keys::Scalar::String | crate::keys::Scalar::Arn
        )
}

fn conditions<'p>(policies: &[&'p Policy]) -> impl Iterator<Item = &'p Condition> {
    policies
        .iter()
        .flat_map(|p| &p.statements)
        .flat_map(|s| &s.conditions)
}

/// The atoms a key's own conditions put on it.
fn own_atoms(policies: &[&Policy], key: &str, out: &mut Vec<Atom>) -> Result<(), String> {
    for c in conditions(policies).filter(|c| c.key == key) {
        if c.operator.base == BaseOp::Null {
            continue;
        }
        if !equality_operator(c.operator.base) {
            return Err(format!(
                "`{}` is compared with `{}` as well as with a policy variable",
                c.key_text,
                c.operator.base.name()
            ));
        }
        for v in &c.values {
            if has_variables(v) {
                continue;
            }
            out.push(Atom {
                op: c.operator.base.positive(),
                value: v.clone(),
                account: false,
            });
        }
    }
    if let Some(p) = type_pred(crate::keys::key_type(key).scalar) {
        out.extend(p.atoms);
    }
    Ok(())
}

/// Whether every request of the query carries the key (so "absent" is no case): AWS
/// documents it in every request, or in every IAM caller's and the policies are
/// identity policies, whose callers are IAM principals (src/keys).
fn always_present(key: &str, policy_type: PolicyType) -> bool {
    let iam = policy_type == PolicyType::Identity;
    match crate::keys::availability(key) {
        Some(crate::keys::Availability::Always) => true,
        Some(crate::keys::Availability::IamCaller) => iam,
        None => key == PRINCIPAL_ACCOUNT && iam,
    }
}

/// Realistic values to try first for a key's candidates.
fn preferred(keys: &[&String]) -> Vec<&'static str> {
    let mut out = Vec::new();
    for k in keys {
        let k = k.as_str();
        // Keys with a format of AWS's own (organization, VPC IDs).
        if let Some(e) = super::realize::example_for(k) {
            out.push(e);
            continue;
        }
        out.extend(match k {
            PRINCIPAL_ACCOUNT => &["444455556666", "111122223333"][..],
            "aws:username" => &["example-user"][..],
            "aws:userid" => &["AIDAEXAMPLEUSERID00001"][..],
            _ if k.ends_with("account") => &["444455556666"][..],
            _ if k.ends_with("region") => &["us-east-1"][..],
            _ => &["example-value"][..],
        });
    }
    out.push("example");
    out
}

/// The variables of the policies and the values each must take, or `Ok(None)` when
/// there are none; `Err` says why they are not of the forms decided here.
fn plan(policies: &[&Policy], policy_type: PolicyType) -> Result<Option<Vec<Choices>>, String> {
    // Every relation `J = ${K}`, and the defaults written.
    let mut relations: Vec<(String, String)> = Vec::new();
    let mut defaults: Vec<(String, String)> = Vec::new();
    for s in policies.iter().flat_map(|p| &p.statements) {
        if statement_resources_have_variables(s) {
            return unsupported("a policy variable inside a `Resource` pattern");
        }
        for c in &s.conditions {
            for v in &c.values {
                if !has_variables(v) {
                    continue;
                }
                let Some(var) = whole_variable(v) else {
                    return unsupported("a policy variable inside a longer condition value");
                };
                if !equality_operator(c.operator.base) {
                    return unsupported(format!(
                        "a policy variable under `{}`",
                        c.operator.base.name()
                    ));
                }
                if !plain_key(&c.key) || c.key == PRINCIPAL_ARN {
                    return unsupported(format!(
                        "`{}` compared with a policy variable",
                        c.key_text
                    ));
                }
                let r = (var.key.clone(), c.key.clone());
                if !relations.contains(&r) {
                    relations.push(r);
                }
                if let Some(d) = &var.default {
                    defaults.push((var.key.clone(), d.clone()));
                }
            }
        }
    }
    if relations.is_empty() {
        return Ok(None);
    }
    let principal_read = policies
        .iter()
        .flat_map(|p| &p.statements)
        .any(|s| s.principals.is_some())
        || conditions(policies).any(|c| c.key == PRINCIPAL_ARN);
    let variables: Vec<&String> = {
        let mut v: Vec<&String> = relations.iter().map(|(k, _)| k).collect();
        v.sort();
        v.dedup();
        v
    };
    for k in &variables {
        if !plain_key(k) || k.as_str() == PRINCIPAL_ARN {
            return unsupported(format!("the variable `${{{k}}}`"));
        }
        if k.as_str() == PRINCIPAL_ACCOUNT && principal_read {
            return unsupported(
                "`${aws:PrincipalAccount}` beside a Principal element or `aws:PrincipalArn`",
            );
        }
    }
    // Components: keys linked by a relation. Within one, values are compared with each
    // other, so all its keys' atoms make the regions.
    let mut component: Vec<(String, usize)> = Vec::new();
    let find = |component: &Vec<(String, usize)>, k: &str| {
        component.iter().find(|(x, _)| x == k).map(|(_, c)| *c)
    };
    for (k, j) in &relations {
        match (find(&component, k), find(&component, j)) {
            (None, None) => {
                let c = component.len();
                component.push((k.clone(), c));
                if j != k {
                    component.push((j.clone(), c));
                }
            }
            (Some(c), None) => component.push((j.clone(), c)),
            (None, Some(c)) => component.push((k.clone(), c)),
            (Some(a), Some(b)) if a != b => {
                for e in &mut component {
                    if e.1 == b {
                        e.1 = a;
                    }
                }
            }
            _ => {}
        }
    }
    let mut ids: Vec<usize> = component.iter().map(|(_, c)| *c).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out = Vec::new();
    for id in ids {
        let keys: Vec<&String> = component
            .iter()
            .filter(|(_, c)| *c == id)
            .map(|(k, _)| k)
            .collect();
        let vars: Vec<&String> = keys
            .iter()
            .copied()
            .filter(|k| variables.contains(k))
            .collect();
        let mut atoms = Vec::new();
        for k in &keys {
            own_atoms(policies, k, &mut atoms)?;
        }
        for (_, d) in defaults.iter().filter(|(dk, _)| vars.contains(&dk)) {
            atoms.push(crate::smt::encode::literal_atom(d, false));
        }
        if vars.iter().any(|k| k.as_str() == PRINCIPAL_ACCOUNT) {
            // An account field holds no `:`.
            atoms.push(crate::smt::encode::glob_atom("*:*"));
        }
        // Each variable may take a value of its own in a region, so a region that is
        // not one literal needs as many values as there are variables.
        let values =
            crate::smt::finite::value_candidates(&atoms, &preferred(&vars), vars.len(), 4096)
                .map_err(|f| f.0)?;
        for k in vars {
            let mut choices: Vec<Option<String>> = values
                .iter()
                // An account field holds no `:`: such a value makes an empty case.
                .filter(|v| k.as_str() != PRINCIPAL_ACCOUNT || !v.contains(':'))
                .cloned()
                .map(Some)
                .collect();
            if !always_present(k, policy_type) {
                choices.push(None);
            }
            out.push(Choices {
                key: k.clone(),
                values: choices,
            });
        }
    }
    let cases: usize = out.iter().map(|c| c.values.len()).product();
    if cases > MAX_CASES {
        return unsupported(format!("{cases} value combinations of policy variables"));
    }
    Ok(Some(out))
}

/// Values to try first for variables whose forms `plan` does not decide: the regions
/// of each key's own conditions, one value each. Sound only for FAIL (a case's
/// counterexample replays on the policies as written); a query no case fails goes to
/// the strings encoding.
fn probe_plan(policies: &[&Policy], policy_type: PolicyType) -> Option<Vec<Choices>> {
    let mut keys: Vec<String> = Vec::new();
    for s in policies.iter().flat_map(|p| &p.statements) {
        let resources = s
            .resources
            .iter()
            .flat_map(|e| &e.items)
            .map(|r| r.template.as_ref());
        let values = s
            .conditions
            .iter()
            .flat_map(|c| &c.values)
            .filter_map(|v| match v {
                CondValue::Pattern(t) => Some(t.as_ref()),
                _ => None,
            });
        for t in resources.chain(values) {
            for v in &t.vars {
                if !keys.contains(&v.key) {
                    keys.push(v.key.clone());
                }
            }
        }
    }
    let mut out = Vec::new();
    for k in keys {
        // A case pins each key to one string value (or its absence): keys of another
        // type or with several values are not pinned so, and `aws:PrincipalArn` is
        // the caller itself. A probe only ever yields a FAIL that replays on the
        // policies as written, so any other key may be tried.
        let t = crate::keys::key_type(&k);
        if !plain_key(&k)
            || k == PRINCIPAL_ARN
            || t.multivalued
            || t.scalar != crate::keys::Scalar::String
        {
            return None;
        }
        let mut atoms = Vec::new();
        if own_atoms(policies, &k, &mut atoms).is_err() {
            atoms.clear();
        }
        if k == PRINCIPAL_ACCOUNT {
            atoms.push(crate::smt::encode::glob_atom("*:*"));
        }
        let values =
            crate::smt::finite::value_candidates(&atoms, &preferred(&[&k]), 1, 4096).ok()?;
        let mut choices: Vec<Option<String>> = values
            .into_iter()
            .filter(|v| !v.contains(':') && !v.is_empty())
            .take(3)
            .map(Some)
            .collect();
        if !always_present(&k, policy_type) {
            choices.push(None);
        }
        if choices.is_empty() {
            return None;
        }
        out.push(Choices {
            key: k,
            values: choices,
        });
    }
    (!out.is_empty()).then_some(out)
}

/// The most cases probed for a FAIL before the strings encoding takes over.
const MAX_PROBES: usize = 8;

fn statement_resources_have_variables(s: &Statement) -> bool {
    s.resources
        .iter()
        .flat_map(|r| &r.items)
        .any(|p| p.template.has_variables())
}

/// A policy with the variables given values (`None`: the key is absent, and a value
/// without a default then matches nothing, as in the evaluator).
fn substitute(p: &Policy, case: &[(String, Option<String>)]) -> Policy {
    let lookup = |k: &str| {
        case.iter()
            .find(|(key, _)| key == k)
            .and_then(|(_, v)| v.as_deref())
    };
    let mut out = p.clone();
    for s in &mut out.statements {
        for e in s.resources.iter_mut() {
            // A pattern whose variable has no value matches nothing: it leaves the list
            // (an empty list matches nothing, as in the evaluator).
            e.items = e
                .items
                .iter()
                .filter_map(|r| {
                    if !r.template.has_variables() {
                        return Some(r.clone());
                    }
                    r.template
                        .resolve(lookup)
                        .map(|g| crate::policy::ResourcePattern {
                            text: r.text.clone(),
                            template: std::sync::Arc::new(crate::pattern::Template::of_glob(
                                &g,
                                r.template.folded,
                            )),
                        })
                })
                .collect();
        }
        for c in &mut s.conditions {
            c.values = c
                .values
                .iter()
                .filter_map(|v| match v {
                    CondValue::Pattern(t) if t.has_variables() => t.resolve(lookup).map(|g| {
                        CondValue::Pattern(std::sync::Arc::new(crate::pattern::Template::of_glob(
                            &g, t.folded,
                        )))
                    }),
                    other => Some(other.clone()),
                })
                .collect();
        }
    }
    out
}

/// A lower-cased key as AWS spells it, where hornbeam knows the spelling (a
/// counterexample names it so).
fn spelled(key: &str) -> String {
    const PREFIXES: &[&str] = &["aws:PrincipalTag/", "aws:RequestTag/", "aws:ResourceTag/"];
    if let Some(s) = crate::smt::encode::GLOBAL_KEY_SPELLINGS
        .iter()
        .chain(&[
            "aws:PrincipalAccount",
            "aws:SourceIdentity",
            "aws:RequestedRegion",
        ])
        .find(|s| s.to_lowercase() == key)
    {
        return s.to_string();
    }
    match PREFIXES.iter().find(|p| key.starts_with(&p.to_lowercase())) {
        Some(p) => format!("{p}{}", &key[p.len()..]),
        None => key.to_string(),
    }
}

/// The limit that holds a case: each key equal to its value, or absent.
fn pin(case: &[(String, Option<String>)]) -> Result<Policy, CheckError> {
    let mut equals = serde_json::Map::new();
    let mut null = serde_json::Map::new();
    for (k, v) in case {
        let k = &spelled(k);
        match v {
            Some(v) => equals.insert(k.clone(), serde_json::json!(v)),
            None => null.insert(k.clone(), serde_json::json!("true")),
        };
    }
    let mut condition = serde_json::Map::new();
    if !equals.is_empty() {
        condition.insert("StringEquals".into(), equals.into());
    }
    if !null.is_empty() {
        condition.insert("Null".into(), null.into());
    }
    // No `Version`: the values are literal, whatever they hold.
    let doc = serde_json::json!({"Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}
    ]});
    crate::policy::parse(&doc.to_string(), PolicyType::Identity)
        .map_err(|e| CheckError::Internal(format!("a case's limit: {e}")))
}

/// Runs the check on the substituted policies (by the first argument) with one more
/// limit (the second) on the side that grants.
pub(crate) type Case<'a, 'r> =
    dyn FnMut(&dyn Fn(&Policy) -> Policy, &Policy, Run<'r>) -> Result<CheckResult, CheckError> + 'a;

/// Decides a query with policy variables case by case, or `None` when it has none or
/// they are not of the forms decided here (the caller then uses the strings encoding).
/// `case` runs the check on the substituted policies (by `sub`) with one more limit on
/// the side that grants; `replay` is the evaluator's reading of the original query.
pub(crate) fn by_cases<'r>(
    policies: &[&Policy],
    policy_type: PolicyType,
    run: Run<'r>,
    case: &mut Case<'_, 'r>,
    replay: &dyn Fn(&crate::eval::Request) -> bool,
) -> Option<Result<CheckResult, CheckError>> {
    let (choices, exact) = match plan(policies, policy_type) {
        Ok(Some(c)) => (c, true),
        Ok(None) => return None,
        Err(why) => match probe_plan(policies, policy_type) {
            Some(c) => {
                tracing::info!(reason = %why, "policy variables probed case by case for a FAIL first");
                (c, false)
            }
            None => {
                tracing::info!(reason = %why, "policy variables left to the strings encoding");
                return None;
            }
        },
    };
    let cases = combinations(&choices, if exact { MAX_CASES } else { MAX_PROBES });
    if exact {
        tracing::info!(
            keys = ?choices.iter().map(|c| &c.key).collect::<Vec<_>>(),
            cases = cases.len(),
            "policy variables decided case by case on the finitized path"
        );
    } else {
        // Only a replayed FAIL counts; anything else is decided by the strings encoding.
        for c in cases.iter().take(MAX_PROBES) {
            if run.expired() {
                break;
            }
            let Ok(limit) = pin(c) else { return None };
            let sub = |p: &Policy| substitute(p, c);
            match case(&sub, &limit, run.probe()) {
                // The finitized encoding does not apply to these policies: no other
                // value makes it apply.
                Ok(r)
                    if r.inconclusive
                        .as_deref()
                        .is_some_and(|w| w.contains("a probe")) =>
                {
                    break;
                }
                Ok(r)
                    if r.result == Verdict::Fail
                        && r.inconclusive.is_none()
                        && r.counterexample.as_ref().is_some_and(replay) =>
                {
                    tracing::info!(case = ?c, "a probed case fails");
                    return Some(Ok(r));
                }
                _ => {}
            }
        }
        tracing::info!("no probed case fails; using the strings encoding");
        return None;
    }
    let decided = (|| {
        let mut last: Option<CheckResult> = None;
        let mut undecided: Option<CheckResult> = None;
        // Past the deadline a case's solver calls answer "unknown" at once, so every
        // case runs and none can pass undecided.
        for c in &cases {
            let limit = pin(c)?;
            let sub = |p: &Policy| substitute(p, c);
            let r = case(&sub, &limit, run.probe())?;
            if r.inconclusive
                .as_deref()
                .is_some_and(|w| w.contains("a probe"))
            {
                // The finitized encoding does not apply to these policies (whatever the
                // values): the whole query goes to the strings encoding once.
                return Ok(None);
            }
            match (r.result, &r.inconclusive) {
                (Verdict::Fail, None) => {
                    if let Some(cx) = &r.counterexample
                        && !replay(cx)
                    {
                        return Err(CheckError::Internal(format!(
                            "the counterexample of the case {c:?} does not replay on the policies as written"
                        )));
                    }
                    return Ok(Some(r));
                }
                (Verdict::Fail, Some(_)) => {
                    undecided.get_or_insert(r);
                }
                (Verdict::Pass, _) => last = Some(r),
            }
        }
        undecided
            .or(last)
            .map(Some)
            .ok_or_else(|| CheckError::Internal("a query with no case".into()))
    })();
    match decided {
        Ok(None) => {
            tracing::info!("the finitized encoding does not apply; using the strings encoding");
            None
        }
        Ok(Some(r)) => Some(Ok(r)),
        Err(e) => Some(Err(e)),
    }
}

/// The combinations of the keys' values, the first `limit` of them.
fn combinations(choices: &[Choices], limit: usize) -> Vec<Vec<(String, Option<String>)>> {
    let mut cases: Vec<Vec<(String, Option<String>)>> = vec![Vec::new()];
    for ch in choices {
        cases = cases
            .into_iter()
            .flat_map(|c| {
                ch.values.iter().map(move |v| {
                    let mut c = c.clone();
                    c.push((ch.key.clone(), v.clone()));
                    c
                })
            })
            .take(limit)
            .collect();
    }
    cases
}

/// Variables that only ever widen what a policy allows (in the resource part of an
/// Allow statement's `Resource` pattern, read nowhere else by the query) stand for
/// "some value" and are existentially quantified away: `arn:aws:iam::*:user/${aws:username}`
/// allows exactly the resources of `arn:aws:iam::*:user/*` for some user name (a
/// substituted value is any literal text, and `*` there is any text). Returns the policy
/// with such variables read as `*`, or `None` when it has none. `others` are the other
/// policies of the query: a key they read is not eliminated.
pub(crate) fn eliminate(policy: &Policy, others: &[&Policy]) -> Option<Policy> {
    use crate::pattern::{Part, Tok};
    let has_variables = policy
        .statements
        .iter()
        .flat_map(|s| s.resources.iter().flat_map(|e| &e.items))
        .any(|r| r.template.has_variables());
    if !has_variables {
        return None;
    }
    // Every key the query reads otherwise: conditions (as keys or in values), NotResource,
    // Deny statements, fields 1-5, the other policies.
    let mut read: Vec<String> = Vec::new();
    let note = |t: &crate::pattern::Template, read: &mut Vec<String>| {
        for v in &t.vars {
            read.push(v.key.clone());
        }
    };
    for (p, own) in std::iter::once((policy, true)).chain(others.iter().map(|p| (*p, false))) {
        for s in &p.statements {
            for c in &s.conditions {
                read.push(c.key.clone());
                for v in &c.values {
                    if let CondValue::Pattern(t) = v {
                        note(t, &mut read);
                    }
                }
            }
            for e in s.resources.iter() {
                let widening = own && !e.negated && s.effect == crate::policy::Effect::Allow;
                for r in &e.items {
                    let t = &r.template;
                    if !widening {
                        note(t, &mut read);
                        continue;
                    }
                    // Only in the resource part (after five `:`), where `*` is any text.
                    let mut colons = 0;
                    for part in &t.parts {
                        match part {
                            Part::Tok(Tok::Lit(':')) => colons += 1,
                            Part::Var(i) if colons < 5 => read.push(t.var(*i).key.clone()),
                            _ => {}
                        }
                    }
                }
            }
        }
    }
    // The caller's account may stand for some value too when nothing else in the query
    // reads the caller (no Principal element, no `aws:PrincipalArn`): choosing the
    // caller chooses the account.
    let principal_read = std::iter::once(policy)
        .chain(others.iter().copied())
        .flat_map(|p| &p.statements)
        .any(|s| s.principals.is_some() || s.conditions.iter().any(|c| c.key == PRINCIPAL_ARN));
    let free = |k: &str| {
        !read.iter().any(|r| r == k)
            && (k != PRINCIPAL_ACCOUNT || !principal_read)
            && k != PRINCIPAL_ARN
            && crate::keys::key_type(k).scalar == crate::keys::Scalar::String
            && !crate::keys::key_type(k).multivalued
    };
    let any = policy
        .statements
        .iter()
        .flat_map(|s| s.resources.iter().flat_map(|e| &e.items))
        .any(|r| r.template.vars.iter().any(|v| free(&v.key)));
    if !any {
        return None;
    }
    let mut out = policy.clone();
    let mut changed = false;
    for s in &mut out.statements {
        for e in s.resources.iter_mut() {
            for r in &mut e.items {
                let t = &r.template;
                if !t.has_variables() {
                    continue;
                }
                let parts: Vec<Part> = t
                    .parts
                    .iter()
                    .map(|p| match p {
                        Part::Var(i) if free(&t.var(*i).key) => Part::Tok(Tok::Star),
                        other => *other,
                    })
                    .collect();
                if parts != t.parts {
                    changed = true;
                    let vars = t.vars.clone();
                    let still: Vec<u32> = parts
                        .iter()
                        .filter_map(|p| match p {
                            Part::Var(i) => Some(*i),
                            _ => None,
                        })
                        .collect();
                    r.template = std::sync::Arc::new(if still.is_empty() {
                        crate::pattern::Template::of_parts(parts, t.folded)
                    } else {
                        crate::pattern::Template {
                            parts,
                            vars,
                            folded: t.folded,
                        }
                    });
                }
            }
        }
    }
    changed.then_some(out)
}

/// The answer of a check run on the policy with variables read as `*` ([`eliminate`]),
/// as an answer for `original`: a FAIL's counterexample gets the values that make it
/// replay (`replay`, the evaluator's reading of the original query); `None` when no
/// values do, and the query is then decided another way.
pub(crate) fn widened(
    mut r: CheckResult,
    original: &Policy,
    replay: &dyn Fn(&crate::eval::Request) -> bool,
) -> Option<CheckResult> {
    tracing::info!("policy variables that only widen an Allow's resources read as `*`");
    if r.inconclusive.is_some() {
        // Undecided: the steps that keep the variables may still decide.
        return None;
    }
    let Some(c) = r.counterexample.take() else {
        return Some(r);
    };
    match restore(&c, original).into_iter().find(|x| replay(x)) {
        Some(x) => {
            r.counterexample = Some(x);
            Some(r)
        }
        None => {
            tracing::info!("no values replay; the variables stay");
            None
        }
    }
}

/// Gives the eliminated variables of `original` values that make one of its Allow
/// statements' patterns match the request's resource (the text its `*` matched), so
/// that the request replays on the policy as written.
pub(crate) fn restore(r: &crate::eval::Request, original: &Policy) -> Vec<crate::eval::Request> {
    use crate::pattern::{Part, Tok};
    // A statement without the variables may be what allows it.
    let mut out = vec![r.clone()];
    for s in original
        .statements
        .iter()
        .filter(|s| s.effect == crate::policy::Effect::Allow)
    {
        for e in s.resources.iter().filter(|e| !e.negated) {
            for p in &e.items {
                let t = &p.template;
                if !t.has_variables() {
                    continue;
                }
                // Tokens, with each variable as a capturing `*`.
                let toks: Vec<(Tok, Option<u32>)> = t
                    .parts
                    .iter()
                    .flat_map(|part| match part {
                        Part::Tok(tok) => vec![(*tok, None)],
                        Part::Var(i) => vec![(Tok::Star, Some(*i))],
                    })
                    .collect();
                let text: Vec<char> = r.resource.chars().collect();
                let mut captures: Vec<(u32, String)> = Vec::new();
                if capture(&toks, &text, &mut captures) {
                    let mut request = Some(r.clone());
                    for (i, value) in captures {
                        let key = &t.var(i).key;
                        request = request.and_then(|mut request| {
                            if key == PRINCIPAL_ACCOUNT {
                                // The caller of that account: its ARN and keys follow.
                                return with_account(&request, &value);
                            }
                            request.context.remove(key);
                            request.context.add(&spelled(key), [value]);
                            Some(request)
                        });
                    }
                    out.extend(request);
                }
            }
        }
    }
    out
}

/// The request with its IAM caller moved to `account` (a 12-digit account ID), the
/// derived keys linked anew; `None` for any other value or caller.
fn with_account(r: &crate::eval::Request, account: &str) -> Option<crate::eval::Request> {
    let Some(crate::eval::Principal::Aws(arn)) = &r.principal else {
        return None;
    };
    if !crate::policy::is_account_id(account) {
        return None;
    }
    let mut fields: Vec<&str> = arn.splitn(6, ':').collect();
    if fields.len() != 6 {
        return None;
    }
    fields[4] = account;
    let principal = crate::eval::Principal::Aws(fields.join(":"));
    super::realize::with_principal(r, principal)
}

/// Matches tokens against text, recording what each capturing `*` took. Positions
/// known to fail are remembered, so a pattern of many stars takes polynomial time.
fn capture(
    toks: &[(crate::pattern::Tok, Option<u32>)],
    text: &[char],
    captures: &mut Vec<(u32, String)>,
) -> bool {
    fn go(
        toks: &[(crate::pattern::Tok, Option<u32>)],
        text: &[char],
        (t, x): (usize, usize),
        captures: &mut Vec<(u32, String)>,
        failed: &mut rustc_hash::FxHashSet<(usize, usize)>,
    ) -> bool {
        use crate::pattern::Tok;
        if failed.contains(&(t, x)) {
            return false;
        }
        let found = match toks.get(t) {
            None => x == text.len(),
            Some((tok @ (Tok::Star | Tok::StarNoColon), cap)) => (x..=text.len()).any(|end| {
                if *tok == Tok::StarNoColon && text[x..end].contains(&':') {
                    return false;
                }
                let before = captures.len();
                if let Some(i) = cap {
                    captures.push((*i, text[x..end].iter().collect()));
                }
                let ok = go(toks, text, (t + 1, end), captures, failed);
                if !ok {
                    captures.truncate(before);
                }
                ok
            }),
            Some((single, _)) => {
                text.get(x).is_some_and(|c| single.accepts(*c))
                    && go(toks, text, (t + 1, x + 1), captures, failed)
            }
        };
        if !found {
            failed.insert((t, x));
        }
        found
    }
    go(
        toks,
        text,
        (0, 0),
        captures,
        &mut rustc_hash::FxHashSet::default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::Tok;

    fn toks(pattern: &str, var_at: usize) -> Vec<(Tok, Option<u32>)> {
        pattern
            .chars()
            .enumerate()
            .map(|(i, c)| match c {
                '*' if i == var_at => (Tok::Star, Some(0)),
                '*' => (Tok::Star, None),
                c => (Tok::Lit(c), None),
            })
            .collect()
    }

    #[test]
    fn a_capture_is_what_the_variable_took() {
        let t = toks("user/*", 5);
        let mut caps = Vec::new();
        assert!(capture(
            &t,
            &"user/bob".chars().collect::<Vec<_>>(),
            &mut caps
        ));
        assert_eq!(caps, vec![(0, "bob".to_string())]);
        let mut caps = Vec::new();
        assert!(!capture(
            &t,
            &"group/bob".chars().collect::<Vec<_>>(),
            &mut caps
        ));
        assert!(caps.is_empty());
    }

    #[test]
    fn many_stars_do_not_backtrack_exponentially() {
        let pattern = "*a".repeat(40) + "b";
        let t = toks(&pattern, 0);
        let text: Vec<char> = "a".repeat(200).chars().collect();
        let mut caps = Vec::new();
        assert!(!capture(&t, &text, &mut caps));
    }
}
