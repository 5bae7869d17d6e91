//! The parser: a JSON tree → a validated policy, every rejection located by JSON
//! pointer and line:column and saying how to fix it.

use std::sync::Arc;

use super::condition::{self, CondValue, Family};
use super::*;
use crate::json::{self, Json, JsonKind};
use crate::pattern::{self, Glob, Syntax, Template};

pub(super) struct Parser<'t> {
    pub text: &'t str,
    pub policy_type: PolicyType,
    pub variables: bool,
}

const STATEMENT_FIELDS: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
];

pub(super) fn child(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", json::pointer_token(token))
}

pub(super) fn members(j: &Json) -> Option<&[json::Member]> {
    match &j.kind {
        JsonKind::Object(m) => Some(m),
        _ => None,
    }
}

impl Parser<'_> {
    pub(super) fn err(
        &self,
        offset: usize,
        pointer: &str,
        message: impl Into<String>,
    ) -> PolicyError {
        let (line, column) = json::line_column(self.text, offset);
        PolicyError::Invalid {
            pointer: pointer.to_string(),
            line,
            column,
            message: message.into(),
        }
    }

    pub(super) fn policy(mut self, root: &Json) -> Result<Policy, PolicyError> {
        let Some(top) = members(root) else {
            return Err(self.err(
                root.offset,
                "",
                format!(
                    "a policy document must be a JSON object, found {}",
                    root.type_name()
                ),
            ));
        };
        let mut version = None;
        let mut id = None;
        let mut statement = None;
        for m in top {
            let p = child("", &m.name);
            match m.name.as_str() {
                "Version" => {
                    let v = self.string(&m.value, &p)?;
                    if v != "2012-10-17" && v != "2008-10-17" {
                        return Err(self.err(
                            m.value.offset,
                            &p,
                            format!(
                                "unknown policy version `{v}`; use `2012-10-17` (the current version)"
                            ),
                        ));
                    }
                    version = Some(v);
                }
                "Id" => id = Some(self.string(&m.value, &p)?),
                "Statement" => statement = Some(m),
                other => {
                    return Err(self.err(
                        m.name_offset,
                        &p,
                        unknown_field(other, &["Version", "Id", "Statement"], "policy"),
                    ));
                }
            }
        }
        self.variables = version.as_deref() == Some("2012-10-17");
        let Some(statement) = statement else {
            return Err(self.err(
                root.offset,
                "",
                "the policy has no `Statement`; add `\"Statement\": [ ... ]`",
            ));
        };
        let mut statements = Vec::new();
        match &statement.value.kind {
            JsonKind::Array(items) if items.len() > MAX_STATEMENTS => {
                return Err(self.err(
                    statement.value.offset,
                    "/Statement",
                    format!(
                        "{} statements, more than the limit of {MAX_STATEMENTS}; split the policy",
                        items.len()
                    ),
                ));
            }
            JsonKind::Array(items) => {
                for (i, s) in items.iter().enumerate() {
                    statements.push(self.statement(s, i, &format!("/Statement/{i}"))?);
                }
            }
            JsonKind::Object(_) => {
                statements.push(self.statement(&statement.value, 0, "/Statement")?)
            }
            _ => {
                return Err(self.err(
                    statement.value.offset,
                    "/Statement",
                    format!(
                        "`Statement` must be an object or an array of objects, found {}",
                        statement.value.type_name()
                    ),
                ));
            }
        }
        // IAM requires unique Sids; the services that hold resource policies (S3, SQS,
        // SNS, ...) accept a repeated one, whose statements are then named by index.
        let mut seen: Vec<(&str, &str)> = Vec::new();
        let mut shared: Vec<String> = Vec::new();
        for s in &statements {
            if let Some(sid) = &s.sid {
                if let Some((_, first)) = seen.iter().find(|(x, _)| *x == sid) {
                    if self.policy_type == PolicyType::Identity {
                        let offset = self.offset_of_sid(statement, s.index);
                        return Err(self.err(
                            offset,
                            &child(&s.pointer, "Sid"),
                            format!(
                                "duplicate Sid `{sid}` (also at `{first}`); statement ids must be unique within an identity policy"
                            ),
                        ));
                    }
                    shared.push(sid.clone());
                }
                seen.push((sid, &s.pointer));
            }
        }
        for s in &mut statements {
            s.shared_sid = s.sid.as_ref().is_some_and(|sid| shared.contains(sid));
        }
        Ok(Policy {
            version,
            id,
            policy_type: self.policy_type,
            variables: self.variables,
            statements,
        })
    }

    fn offset_of_sid(&self, statement: &json::Member, index: usize) -> usize {
        let s = match &statement.value.kind {
            JsonKind::Array(items) => items.get(index),
            _ => Some(&statement.value),
        };
        s.and_then(members)
            .and_then(|ms| ms.iter().find(|m| m.name == "Sid"))
            .map(|m| m.value.offset)
            .unwrap_or(statement.value.offset)
    }

    fn string(&self, j: &Json, pointer: &str) -> Result<String, PolicyError> {
        match &j.kind {
            JsonKind::String(s) if s.chars().count() > MAX_STRING_CHARS => Err(self.err(
                j.offset,
                pointer,
                format!(
                    "a string of {} characters, more than the limit of {MAX_STRING_CHARS}; shorten it",
                    s.chars().count()
                ),
            )),
            JsonKind::String(s) => Ok(s.clone()),
            _ => Err(self.err(
                j.offset,
                pointer,
                format!("expected a string, found {}", j.type_name()),
            )),
        }
    }

    /// A string or a non-empty array of strings, with each item's pointer and offset.
    fn strings(
        &self,
        j: &Json,
        pointer: &str,
    ) -> Result<Vec<(String, String, usize)>, PolicyError> {
        match &j.kind {
            JsonKind::String(_) => Ok(vec![(
                self.string(j, pointer)?,
                pointer.to_string(),
                j.offset,
            )]),
            JsonKind::Array(items) if items.len() > MAX_VALUES => Err(self.err(
                j.offset,
                pointer,
                format!(
                    "{} values, more than the limit of {MAX_VALUES}; split the statement",
                    items.len()
                ),
            )),
            JsonKind::Array(items) if items.is_empty() => Err(self.err(
                j.offset,
                pointer,
                "the list is empty; give at least one value or remove the element",
            )),
            JsonKind::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let p = format!("{pointer}/{i}");
                    self.string(item, &p).map(|s| (s, p, item.offset))
                })
                .collect(),
            _ => Err(self.err(
                j.offset,
                pointer,
                format!(
                    "expected a string or an array of strings, found {}",
                    j.type_name()
                ),
            )),
        }
    }

    fn statement(&self, j: &Json, index: usize, pointer: &str) -> Result<Statement, PolicyError> {
        let Some(ms) = members(j) else {
            return Err(self.err(
                j.offset,
                pointer,
                format!("a statement must be a JSON object, found {}", j.type_name()),
            ));
        };
        for m in ms {
            if !STATEMENT_FIELDS.contains(&m.name.as_str()) {
                return Err(self.err(
                    m.name_offset,
                    &child(pointer, &m.name),
                    unknown_field(&m.name, STATEMENT_FIELDS, "statement"),
                ));
            }
        }
        let get = |name: &str| ms.iter().find(|m| m.name == name);
        let both = |a: &str, b: &str| -> Result<(), PolicyError> {
            if let (Some(_), Some(mb)) = (get(a), get(b)) {
                return Err(self.err(
                    mb.name_offset,
                    &child(pointer, b),
                    format!("a statement cannot have both `{a}` and `{b}`; keep one"),
                ));
            }
            Ok(())
        };
        both("Action", "NotAction")?;
        both("Resource", "NotResource")?;
        both("Principal", "NotPrincipal")?;

        // An empty Sid is no Sid: AWS's reasons then name the statement by index
        // (recorded answers in tf-policy-validator's test data).
        let sid = get("Sid")
            .map(|m| self.string(&m.value, &child(pointer, "Sid")))
            .transpose()?
            .filter(|sid| !sid.is_empty());
        let effect = match get("Effect") {
            None => {
                return Err(self.err(
                    j.offset,
                    pointer,
                    "the statement has no `Effect`; add `\"Effect\": \"Allow\"` or `\"Effect\": \"Deny\"`",
                ));
            }
            Some(m) => {
                let p = child(pointer, "Effect");
                match self.string(&m.value, &p)?.as_str() {
                    "Allow" => Effect::Allow,
                    "Deny" => Effect::Deny,
                    other => {
                        return Err(self.err(
                            m.value.offset,
                            &p,
                            format!("unknown effect `{other}`; use `Allow` or `Deny`"),
                        ));
                    }
                }
            }
        };

        let actions = match (get("Action"), get("NotAction")) {
            (Some(m), _) => self.actions(&m.value, &child(pointer, "Action"), false)?,
            (None, Some(m)) => self.actions(&m.value, &child(pointer, "NotAction"), true)?,
            (None, None) => {
                return Err(self.err(
                    j.offset,
                    pointer,
                    "the statement has neither `Action` nor `NotAction`; add one",
                ));
            }
        };

        let resources = match (get("Resource"), get("NotResource")) {
            (Some(m), _) => Some(self.resources(&m.value, &child(pointer, "Resource"), false)?),
            (None, Some(m)) => {
                Some(self.resources(&m.value, &child(pointer, "NotResource"), true)?)
            }
            (None, None) if self.policy_type == PolicyType::Identity => {
                return Err(self.err(
                    j.offset,
                    pointer,
                    "the statement has neither `Resource` nor `NotResource`; identity policies need one (use `\"Resource\": \"*\"` for all)",
                ));
            }
            (None, None) => None,
        };

        let principals = match (self.policy_type, get("Principal").or(get("NotPrincipal"))) {
            (PolicyType::Identity, Some(m)) => {
                return Err(self.err(
                    m.name_offset,
                    &child(pointer, &m.name),
                    format!(
                        "`{}` is not allowed in an identity policy (the principal is the identity it is attached to); remove it, or check the document as `RESOURCE_POLICY`",
                        m.name
                    ),
                ));
            }
            (PolicyType::Identity, None) => None,
            (PolicyType::Resource, None) => {
                return Err(self.err(
                    j.offset,
                    pointer,
                    "the statement has neither `Principal` nor `NotPrincipal`; resource policies need one (use `\"Principal\": {\"AWS\": \"111122223333\"}` for an account)",
                ));
            }
            (PolicyType::Resource, Some(m)) => Some(ElementSet {
                negated: m.name == "NotPrincipal",
                items: self.principals(&m.value, &child(pointer, &m.name))?,
            }),
        };

        let conditions = match get("Condition") {
            Some(m) => {
                let cs = self.conditions(&m.value, &child(pointer, "Condition"))?;
                if cs.len() > MAX_CONDITIONS {
                    return Err(self.err(
                        m.value.offset,
                        &child(pointer, "Condition"),
                        format!(
                            "{} condition keys, more than the limit of {MAX_CONDITIONS}; split the statement",
                            cs.len()
                        ),
                    ));
                }
                cs
            }
            None => Vec::new(),
        };

        Ok(Statement {
            index,
            sid,
            effect,
            actions,
            resources,
            principals,
            conditions,
            pointer: pointer.to_string(),
            shared_sid: false,
        })
    }

    fn actions(
        &self,
        j: &Json,
        pointer: &str,
        negated: bool,
    ) -> Result<ElementSet<ActionPattern>, PolicyError> {
        let mut items = Vec::new();
        for (text, p, offset) in self.strings(j, pointer)? {
            if self.variables && text.contains("${") {
                return Err(self.err(
                    offset,
                    &p,
                    format!("policy variables are not allowed in actions (`{text}`); list the actions explicitly"),
                ));
            }
            let well_formed = text == "*"
                || text.split_once(':').is_some_and(|(svc, name)| {
                    !svc.is_empty() && !name.is_empty() && !name.contains(':')
                });
            if !well_formed {
                return Err(self.err(
                    offset,
                    &p,
                    format!("action `{text}` is not of the form `service:action` (for example `s3:GetObject`) or `*`"),
                ));
            }
            let glob = Glob::action(&text);
            let template = Arc::new(Template::of_glob(&glob, true));
            items.push(ActionPattern {
                text,
                key: glob.action_key(),
                glob,
                template,
            });
        }
        Ok(ElementSet { negated, items })
    }

    fn resources(
        &self,
        j: &Json,
        pointer: &str,
        negated: bool,
    ) -> Result<ElementSet<ResourcePattern>, PolicyError> {
        let mut items = Vec::new();
        for (text, p, offset) in self.strings(j, pointer)? {
            let arn_like =
                text.starts_with("arn:") || text.starts_with('*') || text.starts_with('?');
            if !arn_like {
                return Err(self.err(
                    offset,
                    &p,
                    format!("resource `{text}` is neither `*` nor an ARN; write `arn:partition:service:region:account:resource`"),
                ));
            }
            let template = Template::parse(&text, Syntax::Arn, false, self.variables)
                .map_err(|e| self.err(offset, &p, format!("in `{text}`: {e}")))?;
            items.push(ResourcePattern {
                text,
                template: Arc::new(template),
            });
        }
        Ok(ElementSet { negated, items })
    }

    fn principals(&self, j: &Json, pointer: &str) -> Result<Vec<PrincipalPattern>, PolicyError> {
        match &j.kind {
            JsonKind::String(s) if s == "*" => Ok(vec![PrincipalPattern::Everyone]),
            JsonKind::String(s) => Err(self.err(
                j.offset,
                pointer,
                format!("principal `{s}` must be `\"*\"` or an object such as `{{\"AWS\": \"{s}\"}}`"),
            )),
            JsonKind::Object(ms) if ms.is_empty() => Err(self.err(
                j.offset,
                pointer,
                "the principal object is empty; name at least one `AWS`, `Service`, `Federated` or `CanonicalUser` principal",
            )),
            JsonKind::Object(ms) => {
                let mut out = Vec::new();
                for m in ms {
                    let kp = child(pointer, &m.name);
                    let Some(kind) = PrincipalKind::from_name(&m.name) else {
                        return Err(self.err(
                            m.name_offset,
                            &kp,
                            unknown_field(&m.name, &["AWS", "Service", "Federated", "CanonicalUser"], "principal"),
                        ));
                    };
                    for (text, p, offset) in self.strings(&m.value, &kp)? {
                        out.push(self.principal(kind, &text, &p, offset)?);
                    }
                }
                Ok(out)
            }
            _ => Err(self.err(
                j.offset,
                pointer,
                format!("a principal must be `\"*\"` or an object, found {}", j.type_name()),
            )),
        }
    }

    fn principal(
        &self,
        kind: PrincipalKind,
        text: &str,
        pointer: &str,
        offset: usize,
    ) -> Result<PrincipalPattern, PolicyError> {
        if text == "*" {
            return Ok(match kind {
                PrincipalKind::Aws => PrincipalPattern::Everyone,
                other => PrincipalPattern::AnyOfKind(other),
            });
        }
        if text.is_empty() {
            return Err(self.err(
                offset,
                pointer,
                "the principal is an empty string; name a principal or remove the entry",
            ));
        }
        if text.contains(['*', '?']) {
            return Err(self.err(
                offset,
                pointer,
                format!("principal `{text}` contains a wildcard; IAM only accepts `*` alone there. Use `\"*\"` with an `ArnLike` condition on `aws:PrincipalArn`"),
            ));
        }
        if kind == PrincipalKind::Aws {
            if is_account_id(text) {
                return Ok(PrincipalPattern::Account(text.to_string()));
            }
            if text.starts_with("arn:") {
                let f = pattern::arn_fields(text);
                if f.len() < 6 || f[5].is_empty() {
                    return Err(self.err(
                        offset,
                        pointer,
                        format!("principal `{text}` is not a complete ARN; write `arn:aws:iam::111122223333:role/NAME` or an account id"),
                    ));
                }
                if f[5] == "root" && is_account_id(f[4]) {
                    return Ok(PrincipalPattern::Account(f[4].to_string()));
                }
            } else if !text.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(self.err(
                    offset,
                    pointer,
                    format!("AWS principal `{text}` is neither an ARN, a 12-digit account id nor a unique id"),
                ));
            }
        }
        Ok(PrincipalPattern::Exact(kind, text.to_string()))
    }

    fn conditions(&self, j: &Json, pointer: &str) -> Result<Vec<Condition>, PolicyError> {
        let Some(ops) = members(j) else {
            return Err(self.err(
                j.offset,
                pointer,
                format!(
                    "`Condition` must be an object of operators, found {}",
                    j.type_name()
                ),
            ));
        };
        let mut out = Vec::new();
        for op_member in ops {
            let op_pointer = child(pointer, &op_member.name);
            let operator = Operator::parse(&op_member.name)
                .map_err(|msg| self.err(op_member.name_offset, &op_pointer, msg))?;
            let keys = match &op_member.value.kind {
                JsonKind::Object(keys) if !keys.is_empty() => keys,
                _ => {
                    return Err(self.err(
                        op_member.value.offset,
                        &op_pointer,
                        format!(
                            "`{}` must map condition keys to values, e.g. `{{\"aws:SourceAccount\": \"111122223333\"}}`",
                            op_member.name
                        ),
                    ));
                }
            };
            for key_member in keys {
                let key_pointer = child(&op_pointer, &key_member.name);
                if key_member.name.trim().is_empty() {
                    return Err(self.err(
                        key_member.name_offset,
                        &key_pointer,
                        "the condition key is empty; name a key such as `aws:SourceIp`",
                    ));
                }
                let values = self.condition_values(&operator, &key_member.value, &key_pointer)?;
                out.push(Condition {
                    operator: operator.clone(),
                    key: pattern::fold(&key_member.name),
                    key_text: key_member.name.clone(),
                    values,
                    pointer: key_pointer,
                });
            }
        }
        Ok(out)
    }

    fn condition_values(
        &self,
        op: &Operator,
        j: &Json,
        pointer: &str,
    ) -> Result<Vec<CondValue>, PolicyError> {
        let scalars: Vec<(&Json, String)> = match &j.kind {
            JsonKind::Array(items) if items.len() > MAX_VALUES => {
                return Err(self.err(
                    j.offset,
                    pointer,
                    format!(
                        "{} values, more than the limit of {MAX_VALUES}",
                        items.len()
                    ),
                ));
            }
            JsonKind::Array(items) if items.is_empty() => {
                return Err(self.err(
                    j.offset,
                    pointer,
                    "the list of values is empty; give at least one value",
                ));
            }
            JsonKind::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| (item, format!("{pointer}/{i}")))
                .collect(),
            _ => vec![(j, pointer.to_string())],
        };
        scalars
            .into_iter()
            .map(|(item, p)| {
                let text = match &item.kind {
                    JsonKind::String(_) => self.string(item, &p)?,
                    JsonKind::Number(n) => n.clone(),
                    JsonKind::Bool(b) => b.to_string(),
                    _ => {
                        return Err(self.err(
                            item.offset,
                            &p,
                            format!(
                                "a condition value must be a string, number or boolean, found {}",
                                item.type_name()
                            ),
                        ));
                    }
                };
                self.condition_value(op, &text, &p, item.offset)
            })
            .collect()
    }

    fn condition_value(
        &self,
        op: &Operator,
        text: &str,
        pointer: &str,
        offset: usize,
    ) -> Result<CondValue, PolicyError> {
        let family = op.base.family();
        let has_variable = self.variables && text.contains("${");
        let no_variables = |what: &str| -> Result<(), PolicyError> {
            if has_variable {
                return Err(self.err(
                    offset,
                    pointer,
                    format!("policy variables are not allowed in {what} conditions (`{text}`); write a literal value"),
                ));
            }
            Ok(())
        };
        let bad = |what: &str, example: &str| {
            self.err(
                offset,
                pointer,
                format!("`{text}` is not a valid {what} for `{op}`; write e.g. `{example}`"),
            )
        };
        match family {
            Family::String | Family::Arn | Family::Bool => {
                let template = Template::parse(
                    text,
                    op.base.syntax(),
                    op.base.ignores_case(),
                    self.variables,
                )
                .map_err(|e| self.err(offset, pointer, format!("in `{text}`: {e}")))?;
                if family == Family::Bool
                    && !has_variable
                    && !matches!(pattern::fold(text).as_str(), "true" | "false")
                {
                    return Err(bad("boolean", "true"));
                }
                Ok(CondValue::Pattern(Arc::new(template)))
            }
            Family::Numeric => {
                no_variables("numeric")?;
                condition::parse_number(text)
                    .map(CondValue::Number)
                    .ok_or_else(|| bad("number", "10 or 2.5"))
            }
            Family::Date => {
                no_variables("date")?;
                condition::parse_date(text)
                    .map(CondValue::Date)
                    .ok_or_else(|| bad("date", "2026-01-31T12:00:00Z or 1769860800"))
            }
            Family::Binary => {
                no_variables("binary")?;
                if condition::is_base64(text) {
                    Ok(CondValue::Binary(text.to_string()))
                } else {
                    Err(bad("base64 value", "QmluYXJ5VmFsdWU="))
                }
            }
            Family::Ip => {
                no_variables("IP address")?;
                condition::parse_ip_net(text)
                    .map(CondValue::Ip)
                    .ok_or_else(|| {
                        bad(
                            "IP address or CIDR block",
                            "203.0.113.0/24 or 2001:db8::/32",
                        )
                    })
            }
            Family::Null => {
                no_variables("Null")?;
                match pattern::fold(text).as_str() {
                    "true" => Ok(CondValue::Null(true)),
                    "false" => Ok(CondValue::Null(false)),
                    _ => Err(bad(
                        "`Null` value (true = key absent, false = key present)",
                        "true",
                    )),
                }
            }
        }
    }
}

fn unknown_field(name: &str, known: &[&str], place: &str) -> String {
    match known.iter().find(|k| k.eq_ignore_ascii_case(name)) {
        Some(k) => format!(
            "unknown {place} field `{name}`; field names are case-sensitive: did you mean `{k}`?"
        ),
        None => format!(
            "unknown {place} field `{name}`; allowed: {}",
            known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
