//! `AWS::Serverless::Function` and `AWS::Serverless::StateMachine`: the execution role
//! the translator generates (`{Id}Role`) with its trust policy, managed policies, inline
//! policies (`Policies` entries, SAM policy templates, dead-letter queue and destination
//! policies), path and boundary; a function's alias, URL and its public permissions.

use super::super::super::node::{Kind, Node};
use super::{Sam, Source, TemplateError, allow, get_att, invalid, is_intrinsic, is_no_value};
use super::{reference, service_trust, templates};

/// A role the translator generates: what goes into it.
pub(super) struct Role {
    pub id: String,
    pub line: usize,
    pub trust: Node,
    pub managed: Vec<Node>,
    /// `{PolicyName, PolicyDocument}` entries (or `Fn::If` of them).
    pub inline: Vec<Node>,
    pub path: Option<Node>,
    pub boundary: Option<Node>,
    /// Replaces the source's `Condition` (a role made for one branch of `Role: !If`).
    pub condition: Option<Node>,
}

/// What a `Policies` entry is, as the translator classifies it.
enum Entry {
    Managed,
    Statement,
    Template,
    Unknown,
}

/// Where an alias or function a permission names sits.
pub(super) struct Target {
    /// `FunctionName` of the function's permissions (`Ref` function, or `Ref` alias).
    pub name: Node,
    /// Its ARN (`Fn::GetAtt` function `Arn`, or `Ref` alias).
    pub arn: Node,
}

impl Sam<'_> {
    fn entry_kind(&self, n: &Node) -> Entry {
        if n.as_str().is_some() {
            return Entry::Managed;
        }
        if let Kind::Map(m) = &n.kind
            && m.len() == 1
            && m[0].0 == "Fn::If"
            && let Kind::Seq(branches) = &m[0].1.kind
            && branches.len() == 3
        {
            let (a, b) = (&branches[1], &branches[2]);
            return match (is_no_value(a), is_no_value(b)) {
                (true, true) => Entry::Unknown,
                (true, false) => self.entry_kind(b),
                (false, true) => self.entry_kind(a),
                (false, false) => match (self.entry_kind(a), self.entry_kind(b)) {
                    (Entry::Managed, Entry::Managed) => Entry::Managed,
                    (Entry::Statement, Entry::Statement) => Entry::Statement,
                    (Entry::Template, Entry::Template) => Entry::Template,
                    _ => Entry::Unknown,
                },
            };
        }
        if is_intrinsic(n) {
            return Entry::Managed;
        }
        match &n.kind {
            Kind::Map(_) if n.get("Statement").is_some() => Entry::Statement,
            Kind::Map(m) if m.len() == 1 && templates::is_template(&m[0].0) => Entry::Template,
            _ => Entry::Unknown,
        }
    }

    /// A managed policy name as the ARN the translator puts in its place: an AWS
    /// managed policy's name becomes its ARN; anything else stays as written.
    fn managed_policy(&self, n: &Node) -> Node {
        let Some(name) = n.as_str() else {
            return n.clone();
        };
        match crate::managed::get(&format!("aws-managed:{name}")) {
            Some(Ok(p)) if !name.starts_with("arn:") => {
                let arn = p
                    .arn
                    .strip_prefix("arn:aws:")
                    .map(|rest| format!("arn:{}:{rest}", self.settings.partition))
                    .unwrap_or_else(|| p.arn.clone());
                Node::str(n.line, arn)
            }
            _ => n.clone(),
        }
    }

    /// Each branch of an `Fn::If` (other than `AWS::NoValue`) converted by `f`.
    fn each_branch(
        n: &Node,
        f: &mut dyn FnMut(&Node) -> Result<Node, TemplateError>,
    ) -> Result<Node, TemplateError> {
        if let Kind::Map(m) = &n.kind
            && m.len() == 1
            && m[0].0 == "Fn::If"
            && let Kind::Seq(branches) = &m[0].1.kind
            && branches.len() == 3
        {
            let mut out = vec![branches[0].clone()];
            for b in &branches[1..] {
                out.push(if is_no_value(b) { b.clone() } else { f(b)? });
            }
            return Ok(Node::map(
                n.line,
                vec![("Fn::If", Node::seq(m[0].1.line, out))],
            ));
        }
        f(n)
    }

    /// The `Policies` property (a name, a document, a template, or a list of them) into
    /// the role: managed policies by ARN, documents and templates as inline policies
    /// `{Role}Policy{index}`.
    pub(super) fn policies(&self, src: &Source, role: &mut Role) -> Result<(), TemplateError> {
        let Some(p) = src.prop("Policies") else {
            return Ok(());
        };
        let entries: Vec<&Node> = match &p.kind {
            Kind::Seq(items) => items.iter().collect(),
            _ => vec![p],
        };
        let base = format!("{}/Policies", src.path);
        for (index, e) in entries.into_iter().enumerate() {
            let path = if matches!(p.kind, Kind::Seq(_)) {
                format!("{base}/{index}")
            } else {
                base.clone()
            };
            let name = format!("{}Policy{index}", role.id);
            match self.entry_kind(e) {
                Entry::Managed => {
                    let arn = Self::each_branch(e, &mut |b| Ok(self.managed_policy(b)))?;
                    if !role.managed.contains(&arn) {
                        role.managed.push(arn);
                    }
                }
                Entry::Statement => {
                    role.inline.push(Self::each_branch(e, &mut |doc| {
                        Ok(named_policy(doc.line, &name, doc.clone()))
                    })?);
                }
                Entry::Template => {
                    role.inline.push(Self::each_branch(e, &mut |t| {
                        let Kind::Map(m) = &t.kind else {
                            return Err(invalid(&path, t, "expected a policy template"));
                        };
                        let (template, values) = (&m[0].0, &m[0].1);
                        let doc =
                            templates::instantiate(template, values, t.line).map_err(|why| {
                                invalid(&path, t, format!("{why} ({})", templates::source()))
                            })?;
                        Ok(named_policy(t.line, &name, doc))
                    })?);
                }
                Entry::Unknown => {
                    return Err(invalid(
                        &path,
                        e,
                        format!(
                            "policy at index {index} in `Policies` is not valid: expected a managed policy name or ARN, a policy document with `Statement`, or a SAM policy template ({})",
                            templates::source()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Emit a generated role.
    pub(super) fn emit_role(&mut self, src: &Source, role: Role) {
        let line = role.line;
        let mut props = vec![("AssumeRolePolicyDocument", role.trust)];
        if !role.managed.is_empty() {
            props.push(("ManagedPolicyArns", Node::seq(line, role.managed)));
        }
        if !role.inline.is_empty() {
            props.push(("Policies", Node::seq(line, role.inline)));
        }
        if let Some(p) = role.path {
            props.push(("Path", p));
        }
        if let Some(b) = role.boundary {
            props.push(("PermissionsBoundary", b));
        }
        // A role made for one branch of `Role: !If` takes that branch's condition in
        // place of the source's.
        let mut attributes = src.attributes();
        if let Some(c) = role.condition {
            attributes.retain(|(k, _)| *k != "Condition");
            attributes.insert(0, ("Condition", c));
        }
        let r = super::resource_node(line, "AWS::IAM::Role", attributes, props);
        self.push(role.id, r);
    }

    pub(super) fn function(&mut self, src: &Source) -> Result<(), TemplateError> {
        let line = src.node.line;
        let id = src.id.clone();
        let role_id = format!("{id}Role");
        let given_role = src.prop("Role").cloned();
        // The role the function runs as; whether the translator generates one, and on
        // which condition.
        let (role_value, generate, condition) = match &given_role {
            None => (get_att(line, &role_id, "Arn"), true, None),
            Some(r) => self.conditional_role(r, &role_id, line),
        };
        let mut function_props = vec![];
        if let Some(n) = src.prop("FunctionName") {
            function_props.push(("FunctionName", n.clone()));
        }
        function_props.push(("Role", role_value));
        let f = self.cfn_resource(src, line, "AWS::Lambda::Function", function_props);
        self.push(id.clone(), f);

        // The alias and the name permissions give.
        let mut target = Target {
            name: reference(line, &id),
            arn: get_att(line, &id, "Arn"),
        };
        if let Some(alias) = src.prop("AutoPublishAlias") {
            // The alias's name, when known offline, is part of its logical id; a name
            // given at deploy time leaves the id `{Id}Alias`.
            let name = self.literal(alias);
            let alias_id = format!(
                "{id}Alias{}",
                name.as_deref()
                    .unwrap_or_default()
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect::<String>()
            );
            let version_id = format!("{id}Version");
            let v = self.cfn_resource(
                src,
                line,
                "AWS::Lambda::Version",
                vec![("FunctionName", reference(line, &id))],
            );
            self.push(version_id.clone(), v);
            let a = self.cfn_resource(
                src,
                line,
                "AWS::Lambda::Alias",
                vec![
                    ("FunctionName", reference(line, &id)),
                    ("FunctionVersion", get_att(line, &version_id, "Version")),
                    ("Name", alias.clone()),
                ],
            );
            self.push(alias_id.clone(), a);
            target.name = reference(line, &alias_id);
            target.arn = reference(line, &alias_id);
            if let Some(d) = src.prop("DeploymentPreference") {
                self.deployment_preference(src, d);
            }
        }
        if let Some(url) = src.prop("FunctionUrlConfig") {
            self.function_url(src, url, &target);
        }

        let mut role = self.execution_role(src, role_id, condition)?;
        if let Some(config) = src.prop("EventInvokeConfig") {
            self.destinations(src, config, &mut role);
        }
        self.policies(src, &mut role)?;
        if given_role.is_none()
            && src.prop("AutoPublishAlias").is_none()
            && let Some(d) = src.prop("DeploymentPreference")
        {
            // Without an alias the translator refuses a deployment preference.
            return Err(invalid(
                &format!("{}/DeploymentPreference", src.path),
                d,
                "`DeploymentPreference` needs `AutoPublishAlias`",
            ));
        }
        self.events(src, &target, generate.then_some(&mut role))?;
        if generate {
            self.emit_role(src, role);
        }
        Ok(())
    }

    /// A function's generated role before its `Policies`, destinations and events: the
    /// trust policy, the basic (or durable) execution policy, X-Ray with `Tracing`,
    /// VPC access with `VpcConfig`, the dead-letter queue's policy, path and boundary.
    fn execution_role(
        &self,
        src: &Source,
        role_id: String,
        condition: Option<Node>,
    ) -> Result<Role, TemplateError> {
        let line = src.node.line;
        let mut role = Role {
            id: role_id,
            line,
            trust: src
                .prop("AssumeRolePolicyDocument")
                .cloned()
                .unwrap_or_else(|| service_trust(line, "lambda.amazonaws.com")),
            managed: Vec::new(),
            inline: Vec::new(),
            path: src.prop("RolePath").cloned(),
            boundary: src.prop("PermissionsBoundary").cloned(),
            condition,
        };
        let basic = if src.prop("DurableConfig").is_some() {
            "service-role/AWSLambdaBasicDurableExecutionRolePolicy"
        } else {
            "service-role/AWSLambdaBasicExecutionRole"
        };
        role.managed.push(Node::str(line, self.managed_arn(basic)));
        if let Some(t) = src.prop("Tracing")
            && self.literal(t).as_deref() != Some("Disabled")
        {
            role.managed.push(Node::str(t.line, self.xray_arn()));
        }
        if let Some(v) = src.prop("VpcConfig") {
            role.managed.push(Node::str(
                v.line,
                self.managed_arn("service-role/AWSLambdaVPCAccessExecutionRole"),
            ));
        }
        if let Some(dlq) = src.prop("DeadLetterQueue") {
            let path = format!("{}/DeadLetterQueue", src.path);
            let action = match dlq.get("Type").and_then(|t| self.literal(t)).as_deref() {
                Some("SQS") => "sqs:SendMessage",
                Some("SNS") => "sns:Publish",
                _ => {
                    return Err(invalid(
                        &path,
                        dlq,
                        "`DeadLetterQueue` needs `Type` SQS or SNS and `TargetArn`",
                    ));
                }
            };
            let Some(target_arn) = dlq.get("TargetArn") else {
                return Err(invalid(&path, dlq, "`DeadLetterQueue` needs `TargetArn`"));
            };
            let statement = Node::map(
                dlq.line,
                vec![
                    ("Action", Node::str(dlq.line, action)),
                    ("Resource", target_arn.clone()),
                    ("Effect", Node::str(dlq.line, "Allow")),
                ],
            );
            let doc = super::document(dlq.line, true, vec![statement]);
            role.inline
                .push(named_policy(dlq.line, "DeadLetterQueuePolicy", doc));
        }
        Ok(role)
    }

    /// A given `Role`: the role the function runs as, whether the translator still
    /// generates one (for an `AWS::NoValue` branch of `Role: !If`), and the condition
    /// it then deploys under (`C`, or `NOT{C}`, which the translator adds).
    fn conditional_role(
        &mut self,
        r: &Node,
        role_id: &str,
        line: usize,
    ) -> (Node, bool, Option<Node>) {
        let generated = get_att(line, role_id, "Arn");
        let Kind::Map(m) = &r.kind else {
            return (r.clone(), false, None);
        };
        let Some(Kind::Seq(b)) = (m.len() == 1 && m[0].0 == "Fn::If").then(|| &m[0].1.kind) else {
            return (r.clone(), false, None);
        };
        let [c, a, e] = b.as_slice() else {
            return (r.clone(), false, None);
        };
        let iff = |x: Node, y: Node| {
            Node::map(
                line,
                vec![("Fn::If", Node::seq(line, vec![c.clone(), x, y]))],
            )
        };
        let Some(name) = c.as_str() else {
            return (r.clone(), false, None);
        };
        match (is_no_value(a), is_no_value(e)) {
            (true, true) => (generated, true, None),
            (true, false) => (iff(generated, e.clone()), true, Some(Node::str(line, name))),
            (false, true) => {
                let not = format!("NOT{name}");
                if !self.conditions.iter().any(|(n, _)| *n == not) {
                    let cond = Node::map(line, vec![("Condition", Node::str(line, name))]);
                    self.conditions.push((
                        not.clone(),
                        Node::map(line, vec![("Fn::Not", Node::seq(line, vec![cond]))]),
                    ));
                }
                (iff(a.clone(), generated), true, Some(Node::str(line, not)))
            }
            (false, false) => (r.clone(), false, None),
        }
    }

    fn xray_arn(&self) -> String {
        let name = if self.settings.partition == "aws" {
            "AWSXrayWriteOnlyAccess"
        } else {
            "AWSXRayDaemonWriteAccess"
        };
        self.managed_arn(name)
    }

    /// `DeploymentPreference`: an enabled one without its own `Role` uses the shared
    /// `CodeDeployServiceRole`.
    fn deployment_preference(&mut self, src: &Source, d: &Node) {
        let enabled = d
            .get("Enabled")
            .map(|e| self.literal(e).as_deref() != Some("false"))
            .unwrap_or(true);
        if enabled && d.get("Role").is_none() {
            self.codedeploy.push(src.node.get("Condition").cloned());
        }
    }

    /// `FunctionUrlConfig`: the URL, and with `AuthType: NONE` the two public
    /// permissions the translator adds.
    fn function_url(&mut self, src: &Source, url: &Node, target: &Target) {
        let line = url.line;
        let auth = url
            .get("AuthType")
            .cloned()
            .unwrap_or_else(|| Node::str(line, "AWS_IAM"));
        let u = self.cfn_resource(
            src,
            line,
            "AWS::Lambda::Url",
            vec![
                ("AuthType", auth.clone()),
                ("TargetFunctionArn", target.name.clone()),
            ],
        );
        self.push(format!("{}Url", src.id), u);
        if is_intrinsic(url) || auth.as_str() != Some("NONE") {
            return;
        }
        let public = self.cfn_resource(
            src,
            line,
            "AWS::Lambda::Permission",
            vec![
                ("Action", Node::str(line, "lambda:InvokeFunctionUrl")),
                ("FunctionName", target.name.clone()),
                ("Principal", Node::str(line, "*")),
                ("FunctionUrlAuthType", Node::str(line, "NONE")),
            ],
        );
        self.push(format!("{}UrlPublicPermissions", src.id), public);
        let invoke = self.cfn_resource(
            src,
            line,
            "AWS::Lambda::Permission",
            vec![
                ("Action", Node::str(line, "lambda:InvokeFunction")),
                ("FunctionName", target.name.clone()),
                ("Principal", Node::str(line, "*")),
                (
                    "InvokedViaFunctionUrl",
                    Node {
                        line,
                        kind: Kind::Bool(true),
                    },
                ),
            ],
        );
        self.push(format!("{}URLInvokeAllowPublicAccess", src.id), invoke);
    }

    /// `EventInvokeConfig.DestinationConfig`: the role may send to each destination.
    fn destinations(&mut self, src: &Source, config: &Node, role: &mut Role) {
        let Some(dest) = config.get("DestinationConfig") else {
            return;
        };
        let base = format!("{}EventInvokeConfig", src.id);
        for event in ["OnSuccess", "OnFailure"] {
            let Some(d) = dest.get(event) else { continue };
            let line = d.line;
            let what = format!("{}/EventInvokeConfig/DestinationConfig/{event}", src.path);
            let ty = d.get("Type").and_then(|t| self.literal(t));
            let id = format!("{base}{event}");
            let arn = match d.get("Destination") {
                Some(a) if is_intrinsic(a) && a.get("Fn::If").is_some() => {
                    self.unexpanded(
                        what,
                        line,
                        "a destination chosen by `Fn::If` is not expanded offline; the role's policy for it is not checked",
                    );
                    continue;
                }
                Some(a) => a.clone(),
                None => match ty.as_deref() {
                    Some("SQS") => {
                        let q = self.cfn_resource(src, line, "AWS::SQS::Queue", Vec::new());
                        self.push(format!("{id}Queue"), q);
                        get_att(line, &format!("{id}Queue"), "Arn")
                    }
                    Some("SNS") => {
                        let t = self.cfn_resource(src, line, "AWS::SNS::Topic", Vec::new());
                        self.push(format!("{id}Topic"), t);
                        reference(line, &format!("{id}Topic"))
                    }
                    _ => continue,
                },
            };
            let (suffix, doc) = match ty.as_deref() {
                Some("SQS") => (
                    "SQSPolicy",
                    allow(line, Node::str(line, "sqs:SendMessage"), arn),
                ),
                Some("SNS") => (
                    "SNSPolicy",
                    allow(line, Node::str(line, "sns:publish"), arn),
                ),
                Some("EventBridge") => (
                    "EventBridgePolicy",
                    allow(line, Node::str(line, "events:PutEvents"), arn),
                ),
                Some("Lambda") => (
                    "LambdaPolicy",
                    allow(line, Node::str(line, "lambda:InvokeFunction"), arn),
                ),
                Some("S3Bucket") => {
                    let objects = Node::map(
                        line,
                        vec![(
                            "Fn::Join",
                            Node::seq(
                                line,
                                vec![
                                    Node::str(line, "/"),
                                    Node::seq(line, vec![arn.clone(), Node::str(line, "*")]),
                                ],
                            ),
                        )],
                    );
                    let statement = |action: &str, resource: Node| {
                        Node::map(
                            line,
                            vec![
                                ("Action", Node::str(line, action)),
                                ("Effect", Node::str(line, "Allow")),
                                ("Resource", resource),
                            ],
                        )
                    };
                    let statements = vec![
                        statement("s3:PutObject", objects),
                        statement("s3:ListBucket", arn),
                    ];
                    ("S3Policy", super::document(line, false, statements))
                }
                _ => {
                    self.unexpanded(
                        what,
                        line,
                        "a destination whose `Type` is not SQS, SNS, EventBridge, Lambda or S3Bucket is not expanded offline",
                    );
                    continue;
                }
            };
            role.inline
                .push(named_policy(line, &format!("{id}{suffix}"), doc));
        }
    }

    pub(super) fn state_machine(&mut self, src: &Source) -> Result<(), TemplateError> {
        let line = src.node.line;
        let id = src.id.clone();
        let role_id = format!("{id}Role");
        let given = src.prop("Role").cloned();
        if let (Some(r), Some(_)) = (&given, src.prop("Policies")) {
            return Err(invalid(
                &format!("{}/Role", src.path),
                r,
                "specify either `Role` or `Policies` (not both) or neither",
            ));
        }
        let role_arn = given
            .clone()
            .unwrap_or_else(|| get_att(line, &role_id, "Arn"));
        let mut props = vec![("RoleArn", role_arn)];
        if let Some(n) = src.prop("Name") {
            props.push(("StateMachineName", n.clone()));
        }
        let sm = self.cfn_resource(src, line, "AWS::StepFunctions::StateMachine", props);
        self.push(id.clone(), sm);
        if given.is_none() {
            let mut role = Role {
                id: role_id,
                line,
                trust: service_trust(line, "states.amazonaws.com"),
                managed: Vec::new(),
                inline: Vec::new(),
                path: src.prop("RolePath").cloned(),
                boundary: src.prop("PermissionsBoundary").cloned(),
                condition: None,
            };
            self.policies(src, &mut role)?;
            if let Some(t) = src.prop("Tracing")
                && t.get("Enabled")
                    .is_some_and(|e| matches!(e.kind, Kind::Bool(true)))
            {
                let arn = Node::str(t.line, self.xray_arn());
                if !role.managed.contains(&arn) {
                    role.managed.push(arn);
                }
            }
            self.emit_role(src, role);
        }
        self.state_machine_events(src)
    }
}

/// `{PolicyName, PolicyDocument}`
pub(super) fn named_policy(line: usize, name: &str, document: Node) -> Node {
    Node::map(
        line,
        vec![
            ("PolicyName", Node::str(line, name)),
            ("PolicyDocument", document),
        ],
    )
}
