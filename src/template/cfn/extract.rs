//! The policies and principals one resolution of a template finds: identity and
//! resource policies at their property paths (catalog.rs), Lambda permissions, SSO
//! permission sets, and each role's and user's attached policies and boundary.

use super::catalog::{
    IDENTITY_POLICIES, IdentityPolicy, RESOURCE_POLICIES, ResourcePolicy, arn_public_type,
    generated_id,
};
use super::{Resolver, invalid};
use crate::template::node::{Kind as NKind, Node};
use crate::template::{
    Found, Kind, Member, Part, PrincipalFound, TemplateError, Val, json_with_unknowns,
};

impl Resolver<'_, '_> {
    /// The resources this resolution deploys (their `Condition` holds): (id, node, type).
    pub(super) fn deployed(&self) -> Result<Vec<(&str, &Node, &str)>, TemplateError> {
        let mut out = Vec::new();
        for &(id, res) in &self.t.resources {
            let path = format!("Resources/{id}");
            let Some(ty) = res.get("Type").and_then(Node::as_str) else {
                return Err(invalid(&path, res, "the resource has no `Type`"));
            };
            if !self.focus.reads(id, ty) {
                continue;
            }
            if let Some(cond) = res.get("Condition") {
                let Some(name) = cond.as_str() else {
                    return Err(invalid(
                        &format!("{path}/Condition"),
                        cond,
                        "expected a condition name",
                    ));
                };
                if !self.truth(name, &format!("{path}/Condition"), cond)? {
                    continue;
                }
                self.t.deployed.borrow_mut().insert(id.to_string());
            }
            out.push((id, res, ty));
        }
        Ok(out)
    }

    /// The strings a property holds: a list, one value, or nothing; `Err` with why when
    /// the value is unknown offline.
    pub(super) fn strings(
        &self,
        node: &Node,
        path: &str,
    ) -> Result<Result<Vec<Option<String>>, String>, TemplateError> {
        let items = match self.resolve(node, path)? {
            Val::List(items) => items,
            Val::NoValue | Val::Null => Vec::new(),
            Val::Unknown(why) => return Ok(Err(why)),
            one => vec![one],
        };
        Ok(Ok(items
            .into_iter()
            .filter(|v| !matches!(v, Val::NoValue | Val::Null))
            .map(|v| v.known_str())
            .collect()))
    }

    /// What a policy ARN in a template names: an AWS managed policy, a managed policy of
    /// the template, or a policy unknown offline.
    pub(super) fn policy_member(
        arn: Option<String>,
        what: &str,
        managed: &[(String, String)],
    ) -> Member {
        match arn {
            Some(a) if crate::managed::reference_name(&a).is_some() => Member::Managed(a),
            Some(a) => match managed.iter().find(|(_, m)| *m == a) {
                Some((id, _)) => Member::Resource(id.clone()),
                None => Member::Customer(a),
            },
            None => Member::Unknown(what.to_string(), "its ARN is unknown offline".into()),
        }
    }

    /// A permission set's attachments: `ManagedPolicies` (AWS managed ARNs),
    /// `CustomerManagedPolicyReferences` (policies each account holds under that name:
    /// unknown offline) and `PermissionsBoundary`.
    pub(super) fn permission_set(
        &self,
        props: Option<&Node>,
        ppath: &str,
        managed: &[(String, String)],
        p: &mut PrincipalFound,
    ) -> Result<(), TemplateError> {
        let customer = |r: &Val| {
            let name = r
                .get("Name")
                .and_then(Val::known_str)
                .unwrap_or_else(|| "?".into());
            let path = r
                .get("Path")
                .and_then(Val::known_str)
                .unwrap_or_else(|| "/".into());
            Member::Unknown(
                format!("customer managed policy `{path}{name}`"),
                "a policy each account provisions under that name, so its document is unknown offline".into(),
            )
        };
        if let Some(node) = props.and_then(|p| p.get("ManagedPolicies")) {
            let what = format!("{ppath}/ManagedPolicies");
            match self.strings(node, &what)? {
                Ok(arns) => {
                    for (i, arn) in arns.into_iter().enumerate() {
                        p.identity
                            .push(Self::policy_member(arn, &format!("{what}/{i}"), managed));
                    }
                }
                Err(why) => p.identity.push(Member::Unknown(what, why)),
            }
        }
        if let Some(node) = props.and_then(|p| p.get("CustomerManagedPolicyReferences")) {
            let what = format!("{ppath}/CustomerManagedPolicyReferences");
            match self.resolve(node, &what)? {
                Val::List(items) => p.identity.extend(items.iter().map(customer)),
                Val::NoValue | Val::Null => {}
                other => p
                    .identity
                    .push(Member::Unknown(what, format!("unknown offline ({other})"))),
            }
        }
        if let Some(node) = props.and_then(|p| p.get("PermissionsBoundary")) {
            let what = format!("{ppath}/PermissionsBoundary");
            let b = self.resolve(node, &what)?;
            p.boundary = Some(
                match (
                    b.get("ManagedPolicyArn"),
                    b.get("CustomerManagedPolicyReference"),
                ) {
                    (Some(arn), _) => Self::policy_member(arn.known_str(), &what, managed),
                    (None, Some(r)) => customer(r),
                    _ => Member::Unknown(
                        what,
                        "neither `ManagedPolicyArn` nor `CustomerManagedPolicyReference`".into(),
                    ),
                },
            );
        }
        Ok(())
    }

    /// The template's principals (roles, users, groups) and what their permissions come
    /// from: inline policies, `ManagedPolicyArns`, policies that name them
    /// (`AWS::IAM::Policy` / `ManagedPolicy` `Roles` / `Users` / `Groups`, `RolePolicy`
    /// & co.), a user's groups (`Groups`, `AWS::IAM::UserToGroupAddition`), and the
    /// permissions boundary.
    pub(super) fn principals(&self) -> Result<Vec<PrincipalFound>, TemplateError> {
        let deployed = self.deployed()?;
        // (id, type, name) of each principal, and (id, ARN) of each managed policy.
        let mut names: Vec<(String, &str, Option<String>)> = Vec::new();
        let mut managed: Vec<(String, String)> = Vec::new();
        for &(id, res, ty) in &deployed {
            let path = format!("Resources/{id}");
            match ty {
                "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => {
                    let name = self.resource_value(id, res, "Ref", &path)?.known_str();
                    names.push((id.to_string(), ty, name));
                }
                "AWS::IAM::ManagedPolicy" => {
                    if let Some(arn) = self.resource_value(id, res, "Ref", &path)?.known_str() {
                        managed.push((id.to_string(), arn));
                    }
                }
                // Nothing names a permission set to attach to it: no name needed.
                "AWS::SSO::PermissionSet" => names.push((id.to_string(), ty, None)),
                _ => {}
            }
        }
        let mut out: Vec<PrincipalFound> = Vec::new();
        for (id, ty, _) in &names {
            let Some(&(_, res, _)) = deployed.iter().find(|(i, _, _)| i == id) else {
                continue;
            };
            let mut p = PrincipalFound {
                resource: id.clone(),
                resource_type: ty.to_string(),
                line: res.line,
                identity: vec![Member::Resource(id.clone())],
                boundary: None,
            };
            let props = res.get("Properties");
            let ppath = format!("Resources/{id}/Properties");
            if let Some(node) = props.and_then(|p| p.get("ManagedPolicyArns")) {
                let what = format!("{ppath}/ManagedPolicyArns");
                match self.strings(node, &what)? {
                    Ok(arns) => {
                        for (i, arn) in arns.into_iter().enumerate() {
                            p.identity.push(Self::policy_member(
                                arn,
                                &format!("{what}/{i}"),
                                &managed,
                            ));
                        }
                    }
                    Err(why) => p.identity.push(Member::Unknown(what, why)),
                }
            }
            if let Some(node) = props.and_then(|p| p.get("PermissionsBoundary")) {
                let what = format!("{ppath}/PermissionsBoundary");
                let arn = self.resolve(node, &what)?.known_str();
                p.boundary = Some(Self::policy_member(arn, &what, &managed));
            }
            if *ty == "AWS::SSO::PermissionSet" {
                self.permission_set(props, &ppath, &managed, &mut p)?;
            }
            if *ty == "AWS::IAM::User"
                && let Some(node) = props.and_then(|p| p.get("Groups"))
            {
                let what = format!("{ppath}/Groups");
                match self.strings(node, &what)? {
                    Ok(groups) => {
                        for g in groups {
                            p.identity.push(match names.iter().find(|(_, t, n)| *t == "AWS::IAM::Group" && n.is_some() && *n == g) {
                                Some((gid, _, _)) => Member::Group(gid.clone()),
                                None => Member::Unknown(
                                    format!("group `{}`", g.unwrap_or_else(|| "?".into())),
                                    "a group the template does not define, so its policies are unknown offline".into(),
                                ),
                            });
                        }
                    }
                    Err(why) => p.identity.push(Member::Unknown(what, why)),
                }
            }
            out.push(p);
        }
        // Policies and group additions that name principals.
        let by_name = |kind: &str, name: &Option<String>| -> Option<usize> {
            names
                .iter()
                .position(|(_, t, n)| *t == kind && n.is_some() && n == name)
        };
        for &(id, res, ty) in &deployed {
            let props = res.get("Properties");
            let ppath = format!("Resources/{id}/Properties");
            let targets: &[(&str, &str)] = match ty {
                "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => &[
                    ("Roles", "AWS::IAM::Role"),
                    ("Users", "AWS::IAM::User"),
                    ("Groups", "AWS::IAM::Group"),
                ],
                "AWS::IAM::RolePolicy" => &[("RoleName", "AWS::IAM::Role")],
                "AWS::IAM::UserPolicy" => &[("UserName", "AWS::IAM::User")],
                "AWS::IAM::GroupPolicy" => &[("GroupName", "AWS::IAM::Group")],
                "AWS::IAM::UserToGroupAddition" => &[("Users", "AWS::IAM::User")],
                _ => continue,
            };
            let member = if ty == "AWS::IAM::UserToGroupAddition" {
                let group = match props.and_then(|p| p.get("GroupName")) {
                    Some(n) => self.resolve(n, &format!("{ppath}/GroupName"))?.known_str(),
                    None => None,
                };
                match by_name("AWS::IAM::Group", &group) {
                    Some(g) => Member::Group(names[g].0.clone()),
                    None => Member::Unknown(
                        format!("group `{}`", group.unwrap_or_else(|| "?".into())),
                        "a group the template does not define, so its policies are unknown offline"
                            .into(),
                    ),
                }
            } else {
                Member::Resource(id.to_string())
            };
            for (prop, kind) in targets {
                let Some(node) = props.and_then(|p| p.get(prop)) else {
                    continue;
                };
                let Ok(targets) = self.strings(node, &format!("{ppath}/{prop}"))? else {
                    continue;
                };
                for t in targets {
                    if let Some(i) = by_name(kind, &t)
                        && let Some(p) = out.iter_mut().find(|p| p.resource == names[i].0)
                        && !p.identity.contains(&member)
                    {
                        p.identity.push(member.clone());
                    }
                }
            }
        }
        Ok(out)
    }

    pub(super) fn policies(&self) -> Result<Vec<Found>, TemplateError> {
        let mut out = Vec::new();
        for (id, res, ty) in self.deployed()? {
            let path = format!("Resources/{id}");
            let empty = Node {
                line: res.line,
                kind: NKind::Map(Vec::new()),
            };
            let props = res.get("Properties").unwrap_or(&empty);
            let ppath = format!("{path}/Properties");
            let mut push =
                |name: String, kind: Kind, node: &Node, document: Result<Val, String>| {
                    out.push(Found {
                        resource: id.to_string(),
                        resource_type: ty.to_string(),
                        policy_name: name,
                        kind,
                        line: node.line,
                        document,
                        assumptions: Vec::new(),
                    });
                };
            match ty {
                "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => {
                    if ty == "AWS::IAM::Role"
                        && let Some(doc) = props.get("AssumeRolePolicyDocument")
                    {
                        let d = self.document(doc, &format!("{ppath}/AssumeRolePolicyDocument"))?;
                        push(
                            "TrustPolicy".into(),
                            Kind::Resource {
                                public_type: Some("AWS::IAM::AssumeRolePolicyDocument"),
                            },
                            doc,
                            d,
                        );
                    }
                    if let Some(list) = props.get("Policies") {
                        let lpath = format!("{ppath}/Policies");
                        // Item by item, so that each keeps its own line even when an
                        // earlier one is `AWS::NoValue`.
                        let mut entries: Vec<(&Node, Val)> = Vec::new();
                        match &list.kind {
                            NKind::Seq(items) => {
                                for (i, n) in items.iter().enumerate() {
                                    match self.resolve(n, &format!("{lpath}/{i}"))? {
                                        Val::NoValue => {}
                                        v => entries.push((n, v)),
                                    }
                                }
                            }
                            _ => match self.resolve(list, &lpath)? {
                                Val::List(items) => {
                                    entries.extend(items.into_iter().map(|v| (list, v)))
                                }
                                Val::Unknown(why) => push(
                                    "Policies".into(),
                                    Kind::Identity,
                                    list,
                                    Err(format!("the inline policies are unknown: {why}")),
                                ),
                                _ => {
                                    return Err(invalid(
                                        &lpath,
                                        list,
                                        "expected a list of inline policies",
                                    ));
                                }
                            },
                        }
                        for (i, (node, item)) in entries.into_iter().enumerate() {
                            let name = item
                                .get("PolicyName")
                                .map(|n| n.known_str().unwrap_or_else(|| format!("{n}")))
                                .unwrap_or_else(|| format!("Policies/{i}"));
                            let doc_node = node.get("PolicyDocument").unwrap_or(node);
                            let Some(doc) = item.get("PolicyDocument") else {
                                return Err(invalid(
                                    &format!("{lpath}/{i}"),
                                    node,
                                    "an inline policy needs `PolicyDocument`",
                                ));
                            };
                            let d = self.as_document(
                                doc.clone(),
                                &format!("{lpath}/{i}/PolicyDocument"),
                                doc_node,
                            )?;
                            push(name, Kind::Identity, doc_node, d);
                        }
                    }
                }
                "AWS::Organizations::Policy" => {
                    let Some(doc) = props.get("Content") else {
                        continue;
                    };
                    let ty_val = match props.get("Type") {
                        Some(t) => self.resolve(t, &format!("{ppath}/Type"))?.known_str(),
                        None => None,
                    };
                    // SCPs and RCPs hold IAM policies; tag, backup and other policy
                    // types do not, and a `Type` unknown offline is not guessed.
                    let Some(kind) = ty_val.as_deref().and_then(Kind::organization) else {
                        continue;
                    };
                    let name = match props.get("Name") {
                        Some(n) => self
                            .resolve(n, &format!("{ppath}/Name"))?
                            .known_str()
                            .unwrap_or_else(|| "Content".into()),
                        None => "Content".into(),
                    };
                    let d = self.document(doc, &format!("{ppath}/Content"))?;
                    push(name, kind, doc, d);
                }
                "AWS::Lambda::Permission" => {
                    let d = self.lambda_permission(props, &ppath)?;
                    push(
                        "LambdaPermission".into(),
                        Kind::Resource {
                            public_type: Some("AWS::Lambda::Function"),
                        },
                        res,
                        d,
                    );
                }
                _ => {
                    for IdentityPolicy {
                        ty: pty,
                        property: prop,
                        name_property: prop_name,
                    } in IDENTITY_POLICIES
                    {
                        if *pty != ty {
                            continue;
                        }
                        let Some(doc) = props.get(prop) else { continue };
                        let name = match props.get(prop_name) {
                            Some(n) if !prop_name.is_empty() => {
                                let v = self.resolve(n, &format!("{ppath}/{prop_name}"))?;
                                v.known_str().unwrap_or_else(|| format!("{v}"))
                            }
                            _ => prop.to_string(),
                        };
                        let d = self.document(doc, &format!("{ppath}/{prop}"))?;
                        push(name, Kind::Identity, doc, d);
                    }
                    for &ResourcePolicy {
                        ty: pty,
                        path: at,
                        name,
                        public_type,
                    } in RESOURCE_POLICIES
                    {
                        if pty != ty {
                            continue;
                        }
                        let mut node = props;
                        let mut found = true;
                        for step in at {
                            match node.get(step) {
                                Some(n) => node = n,
                                None => found = false,
                            }
                            if !found {
                                break;
                            }
                        }
                        if !found {
                            continue;
                        }
                        let mut d = self.document(node, &format!("{ppath}/{}", at.join("/")))?;
                        if ty == "AWS::ApiGateway::RestApi"
                            && let Ok(doc) = &mut d
                        {
                            let api = generated_id(ty, id).unwrap_or_default();
                            let s = self.t.settings;
                            let prefix = format!(
                                "arn:{}:execute-api:{}:{}:{api}/",
                                s.partition, s.region, s.account_id
                            );
                            expand_execute_api(doc, &prefix);
                        }
                        let public_type = match ty {
                            "AWS::Kinesis::ResourcePolicy" | "AWS::CloudTrail::ResourcePolicy" => {
                                let arn = match props.get("ResourceArn") {
                                    Some(a) => self
                                        .resolve(a, &format!("{ppath}/ResourceArn"))?
                                        .known_str(),
                                    None => None,
                                };
                                arn_public_type(ty, arn.as_deref())
                            }
                            _ => public_type,
                        };
                        push(name.to_string(), Kind::Resource { public_type }, node, d);
                    }
                }
            }
        }
        Ok(out)
    }

    /// A policy document property: an object, or a JSON string (CloudFormation accepts both).
    pub(super) fn document(
        &self,
        node: &Node,
        path: &str,
    ) -> Result<Result<Val, String>, TemplateError> {
        let v = self.resolve(node, path)?;
        self.as_document(v, path, node)
    }

    pub(super) fn as_document(
        &self,
        v: Val,
        path: &str,
        node: &Node,
    ) -> Result<Result<Val, String>, TemplateError> {
        match v {
            Val::Map(_) => Ok(Ok(v)),
            Val::Str(parts) => json_with_unknowns(&parts)
                .map(Ok)
                .map_err(|e| invalid(path, node, e)),
            Val::Unknown(why) => Ok(Err(format!("the policy document is unknown: {why}"))),
            other => Err(invalid(
                path,
                node,
                format!("expected a policy document (a mapping or JSON text), found `{other}`"),
            )),
        }
    }

    /// The resource policy a Lambda permission adds to its function.
    pub(super) fn lambda_permission(
        &self,
        props: &Node,
        path: &str,
    ) -> Result<Result<Val, String>, TemplateError> {
        let field = |name: &str| -> Result<Option<Val>, TemplateError> {
            props
                .get(name)
                .map(|n| self.resolve(n, &format!("{path}/{name}")))
                .transpose()
        };
        let (Some(action), Some(function), Some(principal)) = (
            field("Action")?,
            field("FunctionName")?,
            field("Principal")?,
        ) else {
            return Err(invalid(
                path,
                props,
                "a Lambda permission needs `Action`, `FunctionName` and `Principal`",
            ));
        };
        let fields = [
            field("SourceArn")?,
            field("SourceAccount")?,
            field("PrincipalOrgID")?,
            field("FunctionUrlAuthType")?,
        ];
        Ok(Ok(crate::template::lambda_policy(
            self.t.settings,
            principal,
            action,
            function,
            fields,
        )))
    }
}

/// API Gateway stores `execute-api:/STAGE/METHOD/PATH` in a RestApi's policy as the
/// API's ARN; do the same so the policy parses as IAM does.
fn expand_execute_api(doc: &mut Val, prefix: &str) {
    let Val::Map(members) = doc else { return };
    for (name, value) in members.iter_mut() {
        if name != "Statement" {
            continue;
        }
        let statements: Vec<&mut Val> = match value {
            Val::List(items) => items.iter_mut().collect(),
            other => vec![other],
        };
        for st in statements {
            let Val::Map(fields) = st else { continue };
            for (field, v) in fields.iter_mut() {
                if field != "Resource" && field != "NotResource" {
                    continue;
                }
                let items: Vec<&mut Val> = match v {
                    Val::List(items) => items.iter_mut().collect(),
                    other => vec![other],
                };
                for item in items {
                    if let Val::Str(parts) = item
                        && let Some(Part::Lit(first)) = parts.first_mut()
                        && let Some(rest) = first.strip_prefix("execute-api:/")
                    {
                        *first = format!("{prefix}{rest}");
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::with_resolver;
    use super::*;

    const TEMPLATE: &str = r#"
Resources:
  Inline:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: deploy
      Roles: [!Ref Role]
      PolicyDocument: {Statement: [{Effect: Allow, Action: "s3:*", Resource: "*"}]}
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]
      ManagedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
  Bucket:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: b
      PolicyDocument: '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}'
"#;

    #[test]
    fn policies_are_found_at_their_property_paths_with_their_kind() {
        let found = with_resolver(TEMPLATE, |r| r.policies().unwrap());
        let named: Vec<(&str, &str, &Kind)> = found
            .iter()
            .map(|f| (f.resource.as_str(), f.policy_name.as_str(), &f.kind))
            .collect();
        assert!(
            named.contains(&("Inline", "deploy", &Kind::Identity)),
            "{named:?}"
        );
        assert!(
            named.contains(&(
                "Bucket",
                "BucketPolicy",
                &Kind::Resource {
                    public_type: Some("AWS::S3::Bucket")
                }
            )),
            "{named:?}"
        );
        // A document given as JSON text reads like one given as an object.
        let bucket = found.iter().find(|f| f.resource == "Bucket").unwrap();
        assert!(matches!(bucket.document, Ok(Val::Map(_))));
    }

    #[test]
    fn principals_carry_their_attachments() {
        let principals = with_resolver(TEMPLATE, |r| r.principals().unwrap());
        let role = principals.iter().find(|p| p.resource == "Role").unwrap();
        assert!(
            role.identity.contains(&Member::Managed(
                "arn:aws:iam::aws:policy/ReadOnlyAccess".into()
            )),
            "{:?}",
            role.identity
        );
    }

    #[test]
    fn execute_api_resources_become_the_apis_arns() {
        let mut doc = Val::Map(vec![(
            "Statement".into(),
            Val::List(vec![Val::Map(vec![(
                "Resource".into(),
                Val::lit("execute-api:/prod/GET/pets"),
            )])]),
        )]);
        expand_execute_api(&mut doc, "arn:aws:execute-api:us-east-1:1:api/");
        let text = format!("{:?}", doc);
        assert!(
            text.contains("arn:aws:execute-api:us-east-1:1:api/prod/GET/pets"),
            "{text}"
        );
    }
}
