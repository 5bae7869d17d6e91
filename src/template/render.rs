//! A resolved policy with unknown values → a policy document to check.
//!
//! Every check fails when the analysed policy grants too much, so the rendered policy
//! must grant at least what the deployed policy could grant for *any* value of each
//! unknown. Where an unknown widens access (an Allow's `Action`/`Resource`, a Deny's
//! `NotAction`/`NotResource`) it becomes a wildcard; where it narrows access (a Deny's
//! `Action`/`Resource`, an Allow's `NotResource`, any condition) the value, condition or
//! Deny statement is dropped. Each change is reported as a note. What cannot be
//! over-approximated (an unknown `Version` or statement) makes the policy unchecked.

use serde_json::{Map, Value};

use super::{Part, Val};

/// The policy text and the notes on unknown values, or why it cannot be checked.
pub fn render(doc: &Val) -> Result<(String, Vec<String>), String> {
    let mut notes = Vec::new();
    let value = document(doc, &mut notes)?;
    let text = serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?;
    Ok((text, notes))
}

fn document(doc: &Val, notes: &mut Vec<String>) -> Result<Value, String> {
    let members = match doc {
        Val::Map(m) => m,
        Val::Unknown(why) => return Err(format!("the policy document is unknown: {why}")),
        other => return Ok(plain(other)),
    };
    let mut out = Map::new();
    for (name, v) in members {
        match name.as_str() {
            "Statement" => {
                let (items, single) = match v {
                    Val::List(items) => (items.iter().collect::<Vec<_>>(), false),
                    Val::Map(_) => (vec![v], true),
                    Val::Unknown(why) => {
                        return Err(format!("the `Statement` element is unknown: {why}"));
                    }
                    other => {
                        out.insert(name.clone(), plain(other));
                        continue;
                    }
                };
                let mut kept = Vec::new();
                for (i, s) in items.into_iter().enumerate() {
                    let pointer = if single {
                        "/Statement".to_string()
                    } else {
                        format!("/Statement/{i}")
                    };
                    if let Some(s) = statement(s, &pointer, notes)? {
                        kept.push(s);
                    }
                }
                out.insert(name.clone(), Value::Array(kept));
            }
            _ => {
                if let Some(why) = v.first_unknown() {
                    if name == "Id" {
                        notes.push(format!("/Id: unknown ({why}); left out"));
                        continue;
                    }
                    return Err(format!("`/{name}` is unknown: {why}"));
                }
                out.insert(name.clone(), plain(v));
            }
        }
    }
    Ok(Value::Object(out))
}

/// Why a statement is left out (rendered as `None`).
fn dropped(notes: &mut Vec<String>, pointer: &str, why: &str) -> Result<Option<Value>, String> {
    notes.push(format!(
        "{pointer}: a Deny statement depends on an unknown value ({why}); left out, so the check assumes it denies nothing"
    ));
    Ok(None)
}

fn statement(s: &Val, pointer: &str, notes: &mut Vec<String>) -> Result<Option<Value>, String> {
    let members = match s {
        Val::Map(m) => m,
        Val::Unknown(why) => return Err(format!("{pointer} is unknown: {why}")),
        other => return Ok(Some(plain(other))),
    };
    let deny = match s.get("Effect") {
        Some(e) => match e.known_str() {
            Some(effect) => effect == "Deny",
            None => {
                notes.push(format!(
                    "{pointer}/Effect: unknown ({}); checked as `Allow`, which grants the most",
                    e.first_unknown().unwrap_or("unknown")
                ));
                false
            }
        },
        None => false,
    };
    let mut out = Map::new();
    for (name, v) in members {
        let at = format!("{pointer}/{name}");
        let Some(why) = v.first_unknown().map(str::to_string) else {
            out.insert(name.clone(), plain(v));
            continue;
        };
        match name.as_str() {
            "Effect" => {
                out.insert(name.clone(), Value::String("Allow".into()));
            }
            "Sid" => notes.push(format!("{at}: unknown ({why}); left out")),
            "Action" | "Resource" | "NotAction" | "NotResource" => {
                let positive = !name.starts_with("Not");
                let resource = name.ends_with("Resource");
                if positive != deny {
                    // Allow Action/Resource, Deny NotAction/NotResource: widen.
                    let items = widen_list(v, resource);
                    notes.push(format!(
                        "{at}: `{v}` has an unknown part ({why}); checked as {}",
                        show(&items)
                    ));
                    out.insert(name.clone(), list_value(items));
                } else {
                    let items = known_items(v);
                    if !items.is_empty() {
                        notes.push(format!(
                            "{at}: `{v}` has an unknown part ({why}); the unknown values are left out"
                        ));
                        out.insert(name.clone(), list_value(items));
                    } else if deny {
                        return dropped(notes, pointer, &why);
                    } else {
                        // Allow with NotAction/NotResource of nothing known: everything.
                        let element = name.trim_start_matches("Not").to_string();
                        notes.push(format!(
                            "{at}: `{v}` is unknown ({why}); checked as `{element}: *`"
                        ));
                        out.insert(element, Value::String("*".into()));
                    }
                }
            }
            "Principal" | "NotPrincipal" => {
                let positive = name == "Principal";
                match (deny, positive) {
                    (false, true) => {
                        notes.push(format!(
                            "{at}: has an unknown part ({why}); checked as `Principal: *`"
                        ));
                        out.insert(name.clone(), Value::String("*".into()));
                    }
                    (false, false) | (true, true) => {
                        let kept = known_principals(v);
                        match kept {
                            Some(p) => {
                                notes.push(format!(
                                    "{at}: has an unknown part ({why}); the unknown principals are left out"
                                ));
                                out.insert(name.clone(), p);
                            }
                            None if deny => return dropped(notes, pointer, &why),
                            None => {
                                notes.push(format!(
                                    "{at}: unknown ({why}); checked as `Principal: *`"
                                ));
                                out.insert("Principal".into(), Value::String("*".into()));
                            }
                        }
                    }
                    (true, false) => return dropped(notes, pointer, &why),
                }
            }
            "Condition" => {
                if deny {
                    return dropped(notes, pointer, &why);
                }
                let kept = known_conditions(v, &at, notes);
                if let Some(c) = kept {
                    out.insert(name.clone(), c);
                }
            }
            _ => return Err(format!("{at} is unknown: {why}")),
        }
    }
    Ok(Some(Value::Object(out)))
}

/// The items of an element value (a string or a list).
fn items_of(v: &Val) -> Vec<&Val> {
    match v {
        Val::List(items) => items.iter().collect(),
        other => vec![other],
    }
}

fn known_items(v: &Val) -> Vec<String> {
    items_of(v).into_iter().filter_map(Val::known_str).collect()
}

/// Each item with every unknown part made a wildcard. In an ARN, an unknown within the
/// first five `:`-separated segments could contain `:` itself and shift the segments, so
/// the pattern is cut after it (`arn:aws:iam::*` covers every continuation).
fn widen_list(v: &Val, resource: bool) -> Vec<String> {
    let mut out = Vec::new();
    for item in items_of(v) {
        let w = match item {
            Val::Str(parts) => widen(parts, resource),
            other => other.known_str().unwrap_or_else(|| "*".into()),
        };
        if !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

fn widen(parts: &[Part], resource: bool) -> String {
    let mut out = String::new();
    for p in parts {
        match p {
            Part::Lit(s) => out.push_str(s),
            Part::Unknown(_) => {
                if resource && out.matches(':').count() < 5 {
                    out.push('*');
                    return out;
                }
                if !out.ends_with('*') {
                    out.push('*');
                }
            }
        }
    }
    out
}

fn known_principals(v: &Val) -> Option<Value> {
    match v {
        Val::Map(kinds) => {
            let mut out = Map::new();
            for (kind, values) in kinds {
                let kept = known_items(values);
                if !kept.is_empty() {
                    out.insert(kind.clone(), list_value(kept));
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        other => other.known_str().map(Value::String),
    }
}

/// The condition block without the entries (operator + key) that have unknown parts.
fn known_conditions(v: &Val, at: &str, notes: &mut Vec<String>) -> Option<Value> {
    let Val::Map(ops) = v else {
        notes.push(format!(
            "{at}: unknown ({}); left out, so the check assumes it always holds",
            v.first_unknown().unwrap_or("unknown")
        ));
        return None;
    };
    let mut out = Map::new();
    for (op, keys) in ops {
        let Val::Map(keys) = keys else {
            notes.push(format!(
                "{at}/{op}: unknown ({}); left out, so the check assumes it holds",
                keys.first_unknown().unwrap_or("unknown")
            ));
            continue;
        };
        let mut kept = Map::new();
        for (key, values) in keys {
            match values.first_unknown() {
                Some(why) => notes.push(format!(
                    "{at}/{op}/{key}: `{values}` has an unknown part ({why}); left out, so the check assumes it holds"
                )),
                None => {
                    kept.insert(key.clone(), plain(values));
                }
            }
        }
        if !kept.is_empty() {
            out.insert(op.clone(), Value::Object(kept));
        }
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

fn list_value(items: Vec<String>) -> Value {
    if items.len() == 1 {
        Value::String(items.into_iter().next().unwrap_or_default())
    } else {
        Value::Array(items.into_iter().map(Value::String).collect())
    }
}

fn show(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A fully known value as JSON.
pub fn plain(v: &Val) -> Value {
    match v {
        Val::Null | Val::NoValue | Val::Unknown(_) => Value::Null,
        Val::Bool(b) => Value::Bool(*b),
        Val::Num(n) => serde_json::from_str::<serde_json::Number>(n)
            .map(Value::Number)
            .unwrap_or_else(|_| Value::String(n.clone())),
        Val::Str(_) => Value::String(v.known_str().unwrap_or_default()),
        Val::List(items) => Value::Array(items.iter().map(plain).collect()),
        Val::Map(members) => {
            Value::Object(members.iter().map(|(k, v)| (k.clone(), plain(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown() -> Part {
        Part::Unknown("parameter `P` has no value".into())
    }

    #[test]
    fn resources_widen_within_the_arn_model() {
        let s3 = [
            Part::Lit("arn:aws:s3:::".into()),
            unknown(),
            Part::Lit("/*".into()),
        ];
        assert_eq!(widen(&s3, true), "arn:aws:s3:::*/*");
        let iam = [
            Part::Lit("arn:aws:iam::".into()),
            unknown(),
            Part::Lit(":role/r".into()),
        ];
        assert_eq!(widen(&iam, true), "arn:aws:iam::*");
        let action = [Part::Lit("s3:Get".into()), unknown()];
        assert_eq!(widen(&action, false), "s3:Get*");
    }

    fn st(effect: &str, extra: Vec<(&str, Val)>) -> Val {
        let mut m = vec![("Effect".to_string(), Val::lit(effect))];
        m.extend(extra.into_iter().map(|(k, v)| (k.to_string(), v)));
        Val::Map(vec![
            ("Version".into(), Val::lit("2012-10-17")),
            ("Statement".into(), Val::List(vec![Val::Map(m)])),
        ])
    }

    #[test]
    fn unknowns_never_narrow_access() {
        let r = Val::Str(vec![Part::Lit("arn:aws:s3:::".into()), unknown()]);
        // Allow Resource widens.
        let (text, notes) = render(&st(
            "Allow",
            vec![("Action", Val::lit("s3:*")), ("Resource", r.clone())],
        ))
        .unwrap_or_default();
        assert!(text.contains("\"arn:aws:s3:::*\""), "{text}");
        assert_eq!(notes.len(), 1);
        // Deny Resource of only unknowns: the statement goes.
        let (text, _) = render(&st(
            "Deny",
            vec![("Action", Val::lit("s3:*")), ("Resource", r.clone())],
        ))
        .unwrap_or_default();
        assert!(!text.contains("Deny"), "{text}");
        // Allow NotResource of only unknowns: every resource.
        let (text, _) = render(&st(
            "Allow",
            vec![("Action", Val::lit("s3:*")), ("NotResource", r.clone())],
        ))
        .unwrap_or_default();
        assert!(text.contains("\"Resource\": \"*\""), "{text}");
        // A condition with an unknown value holds in an Allow, drops a Deny.
        let cond = Val::Map(vec![(
            "StringEquals".into(),
            Val::Map(vec![
                ("aws:SourceVpc".into(), Val::Str(vec![unknown()])),
                ("aws:RequestedRegion".into(), Val::lit("eu-west-1")),
            ]),
        )]);
        let (text, _) = render(&st(
            "Allow",
            vec![
                ("Action", Val::lit("s3:*")),
                ("Resource", Val::lit("*")),
                ("Condition", cond.clone()),
            ],
        ))
        .unwrap_or_default();
        assert!(
            !text.contains("SourceVpc") && text.contains("RequestedRegion"),
            "{text}"
        );
        let (text, _) = render(&st(
            "Deny",
            vec![
                ("Action", Val::lit("s3:*")),
                ("Resource", Val::lit("*")),
                ("Condition", cond),
            ],
        ))
        .unwrap_or_default();
        assert!(!text.contains("Deny"), "{text}");
        // An Allow principal with an unknown account is everyone.
        let p = Val::Map(vec![(
            "AWS".into(),
            Val::Str(vec![
                Part::Lit("arn:aws:iam::".into()),
                unknown(),
                Part::Lit(":root".into()),
            ]),
        )]);
        let (text, _) = render(&st(
            "Allow",
            vec![
                ("Principal", p),
                ("Action", Val::lit("s3:*")),
                ("Resource", Val::lit("*")),
            ],
        ))
        .unwrap_or_default();
        assert!(text.contains("\"Principal\": \"*\""), "{text}");
    }

    #[test]
    fn an_unknown_statement_cannot_be_checked() {
        let doc = Val::Map(vec![(
            "Statement".into(),
            Val::Unknown("Fn::ImportValue `X`".into()),
        )]);
        assert!(render(&doc).is_err());
    }
}
