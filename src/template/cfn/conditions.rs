//! Template conditions: `Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not` and `Condition`
//! over known values; one that depends on an unknown value takes the resolution's
//! assumption (or is recorded as defaulted, and tried both ways by `find`).

use super::{Resolver, invalid};
use crate::template::TemplateError;
use crate::template::node::{Kind as NKind, Node};

impl Resolver<'_, '_> {
    /// The value of a named condition; unknown ones follow the run's assumptions.
    pub(super) fn truth(&self, name: &str, path: &str, at: &Node) -> Result<bool, TemplateError> {
        match self.condition(name, path, at)? {
            Some(b) => Ok(b),
            None => match self.assume.get(name) {
                Some(b) => Ok(*b),
                None => {
                    let mut d = self.defaulted.borrow_mut();
                    if !d.iter().any(|c| c == name) {
                        d.push(name.to_string());
                    }
                    Ok(false)
                }
            },
        }
    }

    pub(super) fn condition(
        &self,
        name: &str,
        path: &str,
        at: &Node,
    ) -> Result<Option<bool>, TemplateError> {
        let Some(node) = self.t.conditions.get(name) else {
            return Err(invalid(
                path,
                at,
                format!("the template has no condition `{name}`"),
            ));
        };
        if self.evaluating.borrow().iter().any(|c| c == name) {
            return Err(invalid(
                path,
                at,
                format!("condition `{name}` refers to itself"),
            ));
        }
        self.evaluating.borrow_mut().push(name.to_string());
        let v = self.cond_value(node, &format!("Conditions/{name}"));
        self.evaluating.borrow_mut().pop();
        v
    }

    /// Three-valued: `None` when the value depends on something unknown.
    pub(super) fn cond_value(
        &self,
        node: &Node,
        path: &str,
    ) -> Result<Option<bool>, TemplateError> {
        let NKind::Map(members) = &node.kind else {
            return Err(invalid(
                path,
                node,
                "a condition is `Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not` or `Condition`",
            ));
        };
        let [(f, arg)] = members.as_slice() else {
            return Err(invalid(path, node, "a condition has exactly one function"));
        };
        let p = format!("{path}/{f}");
        match f.as_str() {
            "Condition" => {
                let Some(name) = arg.as_str() else {
                    return Err(invalid(&p, arg, "expected a condition name"));
                };
                self.condition(name, &p, arg)
            }
            "Fn::Equals" => {
                let a = self.args(arg, &p, f, &[2])?;
                let x = self.resolve(&a[0], &format!("{p}/0"))?;
                let y = self.resolve(&a[1], &format!("{p}/1"))?;
                if x.first_unknown().is_some() || y.first_unknown().is_some() {
                    return Ok(None);
                }
                Ok(Some(match (x.known_str(), y.known_str()) {
                    (Some(x), Some(y)) => x == y,
                    _ => x == y,
                }))
            }
            "Fn::Not" => {
                let a = self.args(arg, &p, f, &[1])?;
                Ok(self.cond_value(&a[0], &format!("{p}/0"))?.map(|b| !b))
            }
            "Fn::And" | "Fn::Or" => {
                let NKind::Seq(items) = &arg.kind else {
                    return Err(invalid(
                        &p,
                        arg,
                        format!("`{f}` takes a list of 2 to 10 conditions"),
                    ));
                };
                let and = f == "Fn::And";
                let mut unknown = false;
                for (i, item) in items.iter().enumerate() {
                    match self.cond_value(item, &format!("{p}/{i}"))? {
                        Some(b) if b != and => return Ok(Some(b)),
                        Some(_) => {}
                        None => unknown = true,
                    }
                }
                Ok(if unknown { None } else { Some(and) })
            }
            _ => Err(invalid(
                &p,
                arg,
                format!("`{f}` is not a condition function"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::with_resolver;

    const TEMPLATE: &str = r#"
Parameters:
  Stage: {Type: String, Default: prod}
  Free: {Type: String}
Conditions:
  Prod: !Equals [!Ref Stage, prod]
  Dev: !Not [!Condition Prod]
  Both: !And [!Condition Prod, !Equals [!Ref "AWS::Region", us-east-1]]
  Either: !Or [!Condition Dev, !Equals [a, b]]
  Unknown: !Equals [!Ref Free, x]
Resources: {}
"#;

    fn truth(name: &str) -> Option<bool> {
        with_resolver(TEMPLATE, |r| {
            let at = super::Node {
                line: 1,
                kind: super::NKind::Null,
            };
            r.condition(name, "Conditions", &at).unwrap()
        })
    }

    #[test]
    fn conditions_over_known_values_are_decided() {
        assert_eq!(truth("Prod"), Some(true));
        assert_eq!(truth("Dev"), Some(false));
        assert_eq!(truth("Both"), Some(true));
        assert_eq!(truth("Either"), Some(false));
    }

    #[test]
    fn a_condition_on_an_unknown_value_is_undecided_and_defaulted_when_read() {
        assert_eq!(truth("Unknown"), None);
        with_resolver(TEMPLATE, |r| {
            let at = super::Node {
                line: 1,
                kind: super::NKind::Null,
            };
            assert!(!r.truth("Unknown", "Conditions", &at).unwrap());
            assert_eq!(*r.defaulted.borrow(), ["Unknown"]);
        });
    }
}
