//! The encoder's formulas evaluated on one concrete request: the check-specific parts
//! of a counterexample are confirmed with it, and differential tests compare it with the
//! evaluator.

use super::query::policy_allows;
use crate::eval::{Principal, Request};
use crate::policy::{Policy, PolicyType, PrincipalKind};
use crate::smt::encode::{self, Atom, Collector, Pred, Sink, Slot, Var};
use crate::smt::term::F;

/// Evaluates the encoder's formulas on one concrete request: the check-specific parts
/// of a counterexample are confirmed with it.
pub(crate) struct Concrete<'r> {
    pub request: &'r Request,
}

impl Concrete<'_> {
    fn values(&self, slot: &Slot) -> Vec<String> {
        let r = self.request;
        match &slot.var {
            Var::Action => vec![r.action.clone()],
            Var::Resource => vec![r.resource.clone()],
            Var::Principal => match &r.principal {
                // The caller's `aws:PrincipalArn`: a role session's role (principals.md).
                Some(Principal::Aws(_)) => r.principal_arn().into_iter().collect(),
                Some(p) if !slot.aws_only => p.value().map(str::to_string).into_iter().collect(),
                _ => Vec::new(),
            },
            Var::Key(k) if k == encode::ROLE_SESSION => match &r.principal {
                Some(Principal::Aws(arn)) => crate::eval::role_session(arn)
                    .map(|(_, session)| vec![session.to_string()])
                    .unwrap_or_default(),
                _ => Vec::new(),
            },
            Var::Key(k) => r.context.get(k).map(<[String]>::to_vec).unwrap_or_default(),
        }
    }

    fn holds(&self, pred: &Pred, v: &str) -> bool {
        pred.atoms
            .iter()
            .any(|a: &Atom| a.holds_in(v, &self.request.context))
            != pred.negated
    }
}

impl Sink for Concrete<'_> {
    fn exists(&mut self, slot: &Slot, pred: &Pred) -> F {
        F::Const(self.values(slot).iter().any(|v| self.holds(pred, v)))
    }
    fn forall(&mut self, slot: &Slot, pred: &Pred) -> F {
        F::Const(self.values(slot).iter().all(|v| self.holds(pred, v)))
    }
    fn present(&mut self, slot: &Slot) -> F {
        F::Const(!self.values(slot).is_empty())
    }
    fn kind_is(&mut self, kind: Option<PrincipalKind>) -> F {
        // A request without a principal (identity policies) is an IAM caller.
        F::Const(match &self.request.principal {
            Some(p) => p.kind() == kind,
            None => kind == Some(PrincipalKind::Aws),
        })
    }
}

/// Whether a formula built by a concrete sink is true.
pub(crate) fn concrete_truth(f: &F) -> bool {
    matches!(f, F::Const(true))
}

/// Whether a request lies inside the model the checks reason about: a key that none
/// of `policies` reads with a set qualifier and that AWS does not document as
/// multivalued carries at most one distinct value (every proof states this
/// assumption). A request outside it cannot be sent to AWS for such a key.
///
/// The request's values also have their keys' documented types, and every key the
/// policies read that AWS documents as always present (for an IAM caller: every signed
/// request) is present (src/keys, encodings/request.md).
pub fn within_model(policies: &[&Policy], request: &Request) -> bool {
    use crate::keys;
    let mut collector = Collector::default();
    for p in policies {
        collector.note_policy(p);
    }
    let values_fit = request.context.iter().all(|(key, values)| {
        let key = crate::pattern::fold(key);
        let distinct: std::collections::BTreeSet<&String> = values.iter().collect();
        let scalar = keys::key_type(&key).scalar;
        (distinct.len() <= 1 || collector.is_multivalued(&key))
            && values.iter().all(|v| keys::is_value_of(scalar, v))
    });
    values_fit && missing_keys(policies, request).is_empty()
}

/// The conditions of `policies` whose key AWS would always send with this request (for
/// every request, or for every IAM caller's: an identity policy's caller is one) but
/// the request lacks (src/keys).
pub(crate) fn missing_keys<'p>(
    policies: &[&'p Policy],
    request: &Request,
) -> Vec<&'p crate::policy::Condition> {
    use crate::keys::{self, Availability};
    let iam_caller = matches!(request.principal, Some(Principal::Aws(_)))
        || policies
            .iter()
            .any(|p| p.policy_type == PolicyType::Identity);
    policies
        .iter()
        .flat_map(|p| &p.statements)
        .flat_map(|s| &s.conditions)
        .filter(|c| match keys::availability(&c.key) {
            Some(Availability::Always) => true,
            Some(Availability::IamCaller) => iam_caller,
            None => false,
        })
        .filter(|c| request.context.get(&c.key).is_none())
        .collect()
}

/// What the encoder's formulas say about one concrete request: whether the policy allows
/// it. Differential tests compare this with the evaluator.
pub fn encoded_allows(policy: &Policy, request: &Request) -> bool {
    let mut sink = Concrete { request };
    let (allows, _) = policy_allows(&mut sink, policy, "policy");
    concrete_truth(&allows)
}
