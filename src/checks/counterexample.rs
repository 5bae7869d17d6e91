//! A solver model made a counterexample AWS could receive: decoded, spelled as the
//! policies write it, with a known action where one fails, and the known actions a
//! FAIL is about.

use std::collections::BTreeMap;

use super::lowering::{Lowered, Run, engine, lower};
use super::{CheckError, Expansion, Spec, realize};
use crate::eval::{Principal, Request};
use crate::policy::{Effect, Policy};
use crate::smt::encode::{self, Var};
use crate::smt::finite::Finite;
use crate::smt::term::{self, or};
use crate::smt::{Answer, Assignment, DecodeError, Engine};

/// A model's concrete request: decoded, spelled as the policies write it, with the
/// principal's derived keys linked.
pub(super) fn concrete(
    lowered: &Lowered,
    model: &dyn Assignment,
    spec: &impl Spec,
) -> Result<Request, DecodeError> {
    let request = with_session(lowered.decode(model)?);
    let mut linked = spelled_as_written(request, &spec.policies());
    linked
        .link_principal_keys()
        .map_err(|e| DecodeError::Internal(format!("counterexample principal: {e}")))?;
    Ok(linked)
}

/// The action regions that hold known actions: each region's flag and its actions.
pub(super) type ActionFlags = Vec<(String, Vec<crate::actions::KnownAction>)>;

pub(super) fn action_flags(fin: &mut Finite) -> ActionFlags {
    let known = crate::actions::all();
    let names: Vec<String> = known.iter().map(|a| a.to_string()).collect();
    let Some(regions) = fin.regions_of_values(&Var::Action, &names) else {
        return Vec::new();
    };
    let mut by_region: BTreeMap<usize, Vec<crate::actions::KnownAction>> = BTreeMap::new();
    for (a, r) in known.iter().zip(regions) {
        if let Some(r) = r {
            by_region.entry(r).or_default().push(*a);
        }
    }
    by_region
        .into_iter()
        .filter_map(|(r, actions)| Some((fin.region_flag(&Var::Action, r)?, actions)))
        .collect()
}

/// For each action region: can the check fail there? Every action of a region that can
/// is put in a counterexample of the region and confirmed by the evaluator.
pub(super) fn expand(
    lowered: &Lowered,
    solver: &mut Engine,
    flags: &ActionFlags,
    spec: &impl Spec,
) -> Result<Expansion, CheckError> {
    let mut actions = Vec::new();
    let mut undecided = 0;
    for (flag, members) in flags {
        let request = match in_region(lowered, solver, flag, spec)? {
            InRegion::Fails(r) => r,
            InRegion::Holds => continue,
            InRegion::Undecided => {
                undecided += members.len();
                continue;
            }
        };
        for a in members {
            let mut r = request.clone();
            r.action = a.to_string();
            spec.confirm(&r).map_err(|why| {
                CheckError::Internal(format!(
                    "the known action `{a}` lies in a failing region but does not replay: {why}"
                ))
            })?;
            actions.push(*a);
        }
    }
    Ok(Expansion {
        actions,
        incomplete: (undecided > 0).then(|| {
            format!("{undecided} known actions could not be decided (raise the time limit, `timeout_ms`)")
        }),
    })
}

/// What the check says when the action lies in one region.
enum InRegion {
    /// It fails there: a counterexample (not yet confirmed) with the region's witness.
    Fails(Request),
    /// It passes there.
    Holds,
    /// The solver gave no answer, or no single value realizes its model.
    Undecided,
}

/// Solves the query under a region flag (`action_flags`) and decodes the model.
fn in_region(
    lowered: &Lowered,
    solver: &mut Engine,
    flag: &str,
    spec: &impl Spec,
) -> Result<InRegion, CheckError> {
    let model = match solver.check(&[flag]) {
        Answer::Unsat => return Ok(InRegion::Holds),
        Answer::Unknown(_) => return Ok(InRegion::Undecided),
        Answer::Sat(m) => m,
    };
    match concrete(lowered, model.as_ref(), spec) {
        Ok(r) => Ok(InRegion::Fails(r)),
        Err(DecodeError::Unrealizable(_)) => Ok(InRegion::Undecided),
        Err(DecodeError::Internal(why)) => Err(CheckError::Internal(why)),
    }
}

/// What the solver says about known actions when a counterexample's action is none.
pub(super) enum KnownAction {
    /// A confirmed, realistic counterexample whose action AWS defines.
    Found(Request),
    /// No known action fails the check: only names AWS does not define do.
    NoneExists,
    /// The question could not be answered (no finitized encoding, a timeout).
    Undecided,
}

/// How many known actions the strings encoding states as one disjunction, at most.
const MAX_KNOWN_LITERALS: usize = 512;

/// The known actions some Allow statement of `subject` covers (a counterexample's
/// action is always one of them), or `None` when an Allow uses `NotAction` or they are
/// too many to list.
fn covered_known_actions(subject: &Policy) -> Option<Vec<String>> {
    let mut globs = Vec::new();
    for s in subject
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
    {
        if s.actions.negated {
            return None;
        }
        globs.extend(s.actions.items.iter().map(|a| &a.glob));
    }
    let names: Vec<String> = crate::actions::all()
        .iter()
        .map(|a| a.to_string())
        .filter(|n| {
            let folded = crate::pattern::fold(n);
            globs.iter().any(|g| g.matches(&folded))
        })
        .take(MAX_KNOWN_LITERALS + 1)
        .collect();
    (names.len() <= MAX_KNOWN_LITERALS).then_some(names)
}

/// Lowers the query again with one more definition, "the action is a known one", and
/// asks the solver under it. Finitized: the regions that hold AWS's actions (mapping
/// 22,000 actions costs milliseconds, so only a counterexample with an unknown action
/// pays it). Strings: the known actions the subject's Allow statements cover, as one
/// disjunction of literals.
pub(super) fn known_action_counterexample(
    spec: &impl Spec,
    run: Run,
) -> Result<KnownAction, CheckError> {
    let Ok((mut lowered, _, _)) = lower(spec, run) else {
        return Ok(KnownAction::Undecided);
    };
    let flags = match &mut lowered {
        Lowered::Finite(fin) => {
            let flags = action_flags(fin);
            let any = or(flags
                .iter()
                .map(|(flag, _)| term::var(flag))
                .collect::<Vec<_>>());
            fin.script.define(
                "action_is_known",
                "the action is one AWS defines".to_string(),
                any,
            );
            Some(flags)
        }
        Lowered::Strings(st) => {
            let Some(names) = covered_known_actions(spec.subject()) else {
                return Ok(KnownAction::Undecided);
            };
            let any = st.action_is_one_of(&names);
            st.script.define(
                "action_is_known",
                "the action is one AWS defines".to_string(),
                any,
            );
            None
        }
    };
    let mut solver = engine(&lowered, run);
    let model = match solver.check(&["action_is_known"]) {
        Answer::Unsat => return Ok(KnownAction::NoneExists),
        Answer::Unknown(_) => return Ok(KnownAction::Undecided),
        Answer::Sat(m) => m,
    };
    let Some(flags) = flags else {
        // Strings: the model's action is a known one already (lower-cased, maybe).
        let request = match concrete(&lowered, model.as_ref(), spec) {
            Ok(r) => r,
            Err(DecodeError::Unrealizable(_)) => return Ok(KnownAction::Undecided),
            Err(DecodeError::Internal(why)) => return Err(CheckError::Internal(why)),
        };
        return Ok(match spec.confirm(&request) {
            Ok(()) => KnownAction::Found(realize::realize(request, spec)),
            Err(_) => KnownAction::Undecided,
        });
    };
    for (flag, members) in &flags {
        let InRegion::Fails(request) = in_region(&lowered, &mut solver, flag, spec)? else {
            continue;
        };
        // Every member of a failing region fails; the first one stands for them.
        let Some(a) = members.first() else { continue };
        let mut r = request;
        r.action = a.to_string();
        spec.confirm(&r).map_err(|why| {
            CheckError::Internal(format!(
                "the known action `{a}` lies in a failing region but does not replay: {why}"
            ))
        })?;
        return Ok(KnownAction::Found(realize::realize(r, spec)));
    }
    Ok(KnownAction::Undecided)
}

/// The same counterexample with the account's root ARN as its IAM principal, when the
/// witness is a bare shortest ARN and the evaluator still confirms the result.
pub(super) fn readable_principal(r: &Request, spec: &impl Spec) -> Option<Request> {
    let Some(Principal::Aws(arn)) = &r.principal else {
        return None;
    };
    let account = crate::pattern::arn_account(arn)?;
    let root = format!("arn:aws:iam::{account}:root");
    if *arn == root || !crate::policy::is_account_id(account) {
        return None;
    }
    let candidate = realize::with_principal(r, Principal::Aws(root))?;
    spec.confirm(&candidate).ok().map(|()| candidate)
}

/// A model's role session name (encode::ROLE_SESSION) made part of the caller: a role
/// `arn:P:iam::A:role/PATH/R` with session `S` is the caller
/// `arn:P:sts::A:assumed-role/R/S` (the session ARN drops the path; the context's
/// `aws:PrincipalArn` keeps it). The name never stays in the context; beside any other
/// caller (a user) no policy entry read it.
fn with_session(mut r: Request) -> Request {
    let Some(session) = r
        .context
        .get(encode::ROLE_SESSION)
        .and_then(|v| v.first().cloned())
    else {
        return r;
    };
    r.context.remove(encode::ROLE_SESSION);
    if let Some(Principal::Aws(arn)) = &r.principal {
        let f: Vec<&str> = arn.splitn(6, ':').collect();
        if let [_, partition, "iam", "", account, resource] = f.as_slice()
            && let Some(role) = resource
                .strip_prefix("role/")
                .and_then(|r| r.rsplit('/').next())
            && !role.is_empty()
            && !session.is_empty()
        {
            let caller = format!("arn:{partition}:sts::{account}:assumed-role/{role}/{session}");
            if crate::eval::is_session_role(&caller, arn) {
                let arn = arn.clone();
                r.context.remove("aws:PrincipalArn");
                r.context.add("aws:PrincipalArn", [arn]);
            }
            r.principal = Some(Principal::Aws(caller));
        }
    }
    r
}

/// Spells a counterexample's action and context keys as the policies write them (both
/// are case-insensitive, so the request means the same; it is replayed afterwards).
fn spelled_as_written(mut r: Request, policies: &[&Policy]) -> Request {
    let folded_action = crate::pattern::fold(&r.action);
    let mut keys: Vec<&str> = Vec::new();
    for p in policies {
        for s in &p.statements {
            // The literal action the evaluator matches it with (no copies: a 20,000-action
            // policy made 40,000 strings here).
            if let Some(a) = s
                .actions
                .items
                .iter()
                .find(|a| a.glob.is_literal() && a.glob.matches(&folded_action))
            {
                r.action = a.text.clone();
            }
            keys.extend(s.conditions.iter().map(|c| c.key_text.as_str()));
        }
    }
    let mut context = crate::eval::Context::default();
    for (k, values) in r.context.iter() {
        let name = keys
            .iter()
            .find(|w| crate::pattern::fold(w) == crate::pattern::fold(k))
            .copied()
            .or_else(|| {
                encode::GLOBAL_KEY_SPELLINGS
                    .iter()
                    .find(|w| crate::pattern::fold(w) == crate::pattern::fold(k))
                    .copied()
            })
            .unwrap_or(k);
        context.add(name, values.to_vec());
    }
    r.context = context;
    r
}
