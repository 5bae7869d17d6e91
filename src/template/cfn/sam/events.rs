//! The `Events` of a function or state machine, as far as they carry IAM:
//! - push sources give the function a Lambda permission for the source's service
//!   principal (`{Function}{Event}Permission`), limited by the source's ARN or account;
//! - pull sources (queues, streams) give the generated role the managed policy that
//!   lets Lambda read them;
//! - a state machine's sources get a role (`{StateMachine}{Event}Role`) that may start
//!   its executions;
//! - `ScheduleV2` gets the role EventBridge Scheduler assumes (`{Id}{Event}Role`);
//! - an SNS `SqsSubscription` and a rule's SQS `DeadLetterConfig` get their queue and
//!   the queue policy that lets the topic or rule send to it.
//!
//! Event types or options that create what hornbeam does not model (Amazon MQ, Kafka
//! and DocumentDB credentials, stream destinations) are reported as not expanded.

use super::super::super::node::{Kind, Node};
use super::function::{Role, Target, named_policy};
use super::{
    Sam, Source, TemplateError, allow, document, get_att, invalid, reference, service_trust, sub,
};

/// A push source: its service principal.
fn principal(ty: &str) -> Option<&'static str> {
    Some(match ty {
        "S3" => "s3.amazonaws.com",
        "SNS" => "sns.amazonaws.com",
        "Api" | "HttpApi" => "apigateway.amazonaws.com",
        "Schedule" | "CloudWatchEvent" | "EventBridgeRule" => "events.amazonaws.com",
        "CloudWatchLogs" => "logs.amazonaws.com",
        "IoTRule" => "iot.amazonaws.com",
        "AlexaSkill" => "alexa-appkit.amazon.com",
        "Cognito" => "cognito-idp.amazonaws.com",
        _ => return None,
    })
}

/// One event of `Events`: its name, node, `Type`, `Properties` (empty when absent)
/// and path.
struct Event<'n> {
    name: &'n str,
    node: &'n Node,
    ty: &'n str,
    props: Node,
    path: String,
}

/// A function's or state machine's `Events`, each with its `Type` (required).
fn event_list<'n>(src: &'n Source) -> Result<Vec<Event<'n>>, TemplateError> {
    let Some(events) = src.prop("Events") else {
        return Ok(Vec::new());
    };
    let Kind::Map(events) = &events.kind else {
        return Err(invalid(
            &format!("{}/Events", src.path),
            events,
            "expected a mapping of events",
        ));
    };
    events
        .iter()
        .map(|(name, event)| {
            let path = format!("{}/Events/{name}", src.path);
            let Some(ty) = event.get("Type").and_then(Node::as_str) else {
                return Err(invalid(&path, event, "an event needs a `Type`"));
            };
            Ok(Event {
                name,
                node: event,
                ty,
                props: event
                    .get("Properties")
                    .cloned()
                    .unwrap_or_else(|| Node::map(event.line, Vec::new())),
                path,
            })
        })
        .collect()
}

/// A pull source: the managed policy its function's role gets.
fn pull_policy(ty: &str) -> Option<&'static str> {
    Some(match ty {
        "SQS" => "service-role/AWSLambdaSQSQueueExecutionRole",
        "Kinesis" => "service-role/AWSLambdaKinesisExecutionRole",
        "DynamoDB" => "service-role/AWSLambdaDynamoDBExecutionRole",
        "MSK" => "service-role/AWSLambdaMSKExecutionRole",
        _ => return None,
    })
}

/// Options of an event that make the translator create policies or resources hornbeam
/// does not expand.
fn unexpanded_option(ty: &str, props: &Node) -> Option<&'static str> {
    let has = |k: &str| props.get(k).is_some();
    match ty {
        "Kinesis" | "DynamoDB" | "SQS" | "MSK" if has("DestinationConfig") => {
            Some("DestinationConfig")
        }
        "MSK" if has("SourceAccessConfigurations") || has("SchemaRegistryConfig") => {
            Some("SourceAccessConfigurations")
        }
        _ => None,
    }
}

impl Sam<'_> {
    /// A function's events; `role` is the generated role (`None` for a given one).
    pub(super) fn events(
        &mut self,
        src: &Source,
        target: &Target,
        mut role: Option<&mut Role>,
    ) -> Result<(), TemplateError> {
        let events = event_list(src)?;
        for e in &events {
            let (name, event, ty, props, path) = (e.name, e.node, e.ty, &e.props, &e.path);
            if let Some(option) = unexpanded_option(ty, props) {
                self.unexpanded(
                    format!("{path}/Properties/{option}"),
                    props.line,
                    format!(
                        "the resources and policies SAM creates for `{option}` of a `{ty}` event are not expanded offline, so they are not checked"
                    ),
                );
            }
            if ty == "ScheduleV2" {
                let invoke = ("LambdaPolicy", "lambda:InvokeFunction", target.arn.clone());
                self.schedule_v2(src, name, props, invoke, event.line);
                continue;
            }
            if let Some(policy) = pull_policy(ty) {
                if let Some(role) = role.as_deref_mut() {
                    let arn = Node::str(event.line, self.managed_arn(policy));
                    if !role.managed.contains(&arn) {
                        role.managed.push(arn);
                    }
                }
                continue;
            }
            let Some(principal) = principal(ty) else {
                self.unexpanded(
                    path.clone(),
                    event.line,
                    format!(
                        "SAM events of type `{ty}` are not expanded offline; the permissions and roles they create are not checked"
                    ),
                );
                continue;
            };
            if ty == "HttpApi" && props.get("Path").is_none() {
                // (handled below, after the routes it covers)
            } else if ty == "HttpApi" && default_route(&events, props.get("ApiId")) {
                // The function's `$default` route on the same API has a permission for
                // every route and method: the translator adds none for this one.
                continue;
            }
            self.permission(
                src,
                target,
                (name, ty, principal),
                props,
                role.as_deref_mut(),
                event.line,
            );
        }
        Ok(())
    }

    /// The Lambda permission a push source gets.
    fn permission(
        &mut self,
        src: &Source,
        target: &Target,
        (event, ty, principal): (&str, &str, &str),
        props: &Node,
        role: Option<&mut Role>,
        line: usize,
    ) {
        let fid = &src.id;
        let mut id = format!("{fid}{event}Permission");
        let mut fields: Vec<(&str, Node)> = Vec::new();
        match ty {
            "S3" => fields.push(("SourceAccount", reference(line, "AWS::AccountId"))),
            "SNS" => {
                let topic = props.get("Topic").cloned();
                if let Some(sub) = props.get("SqsSubscription").filter(|s| !is_false(s)) {
                    // Through a queue: SNS may send to it, Lambda reads it; no
                    // permission on the function.
                    let topic = topic.unwrap_or_else(|| Node::str(line, ""));
                    self.sqs_subscription(src, &format!("{fid}{event}"), sub, topic, role, line);
                    return;
                }
                if let Some(topic) = topic {
                    fields.push(("SourceArn", topic));
                }
            }
            "Api" => {
                let api = match props.get("RestApiId") {
                    Some(a) => a.clone(),
                    None => {
                        self.implicit_rest.get_or_insert(line);
                        reference(line, "ServerlessRestApi")
                    }
                };
                let stage = self.rest_stage(props);
                id.push_str(&stage);
                let method = self.method(props);
                let path = props
                    .get("Path")
                    .and_then(|p| self.literal(p))
                    .unwrap_or_else(|| "/".into());
                let path = wildcard_parameters(trim_slash(&path), true);
                fields.push((
                    "SourceArn",
                    sub(
                        line,
                        &format!(
                            "arn:{}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{__ApiId__}}/${{__Stage__}}/{method}{path}",
                            self.settings.partition
                        ),
                        vec![("__ApiId__", api), ("__Stage__", Node::str(line, "*"))],
                    ),
                ));
            }
            "HttpApi" => {
                let api = match props.get("ApiId") {
                    Some(a) => a.clone(),
                    None => {
                        self.implicit_http.get_or_insert(line);
                        reference(line, "ServerlessHttpApi")
                    }
                };
                let (method, path) = match props.get("Path").and_then(|p| self.literal(p)) {
                    Some(p) => (
                        self.method(props),
                        wildcard_parameters(trim_slash(&p), false),
                    ),
                    None => ("*".to_string(), "/$default".to_string()),
                };
                let resource = if method == "*" && path == "/$default" {
                    format!("${{__ApiId__}}/${{__Stage__}}{path}")
                } else {
                    format!("${{__ApiId__}}/${{__Stage__}}/{method}{path}")
                };
                fields.push((
                    "SourceArn",
                    sub(
                        line,
                        &format!(
                            "arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:{resource}"
                        ),
                        vec![("__ApiId__", api), ("__Stage__", Node::str(line, "*"))],
                    ),
                ));
            }
            "Schedule" | "CloudWatchEvent" | "EventBridgeRule" => {
                self.rule(src, &format!("{fid}{event}"), line);
                self.rule_dead_letters(src, &format!("{fid}{event}"), props, line);
                fields.push(("SourceArn", get_att(line, &format!("{fid}{event}"), "Arn")));
            }
            "CloudWatchLogs" => {
                if let Some(group) = props.get("LogGroupName") {
                    fields.push((
                        "SourceArn",
                        sub(
                            line,
                            &format!(
                                "arn:{}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:${{__LogGroupName__}}:*",
                                self.settings.partition
                            ),
                            vec![("__LogGroupName__", group.clone())],
                        ),
                    ));
                }
            }
            "IoTRule" => {
                let r = self.cfn_resource(src, line, "AWS::IoT::TopicRule", Vec::new());
                self.push(format!("{fid}{event}"), r);
                fields.push((
                    "SourceArn",
                    sub(
                        line,
                        &format!(
                            "arn:{}:iot:${{AWS::Region}}:${{AWS::AccountId}}:rule/${{RuleName}}",
                            self.settings.partition
                        ),
                        vec![("RuleName", reference(line, &format!("{fid}{event}")))],
                    ),
                ));
                fields.push(("SourceAccount", sub(line, "${AWS::AccountId}", Vec::new())));
            }
            "AlexaSkill" => {
                if let Some(skill) = props.get("SkillId") {
                    fields.push(("EventSourceToken", skill.clone()));
                }
            }
            "Cognito" => {
                id = format!("{fid}CognitoPermission");
                if let Some(pool) = props.get("UserPool") {
                    let pool_id = pool
                        .get("Ref")
                        .and_then(Node::as_str)
                        .unwrap_or_default()
                        .to_string();
                    fields.push(("SourceArn", get_att(line, &pool_id, "Arn")));
                }
            }
            _ => {}
        }
        if self.out.iter().any(|(i, _)| *i == id) {
            return;
        }
        let mut p = vec![
            ("Action", Node::str(line, "lambda:InvokeFunction")),
            ("FunctionName", target.name.clone()),
            ("Principal", Node::str(line, principal)),
        ];
        p.extend(fields);
        let r = self.cfn_resource(src, line, "AWS::Lambda::Permission", p);
        self.push(id, r);
    }

    /// A `ScheduleV2` event: an EventBridge Scheduler schedule `{Id}{Event}` and, unless
    /// the event gives `RoleArn`, the role the scheduler assumes, `{Id}{Event}Role`, that
    /// may invoke the target (`(policy suffix, action, target ARN)`) and send to the
    /// dead-letter queue.
    fn schedule_v2(
        &mut self,
        src: &Source,
        event: &str,
        props: &Node,
        (suffix, action, target): (&str, &str, Node),
        line: usize,
    ) {
        let id = format!("{}{event}", src.id);
        let schedule = self.cfn_resource(src, line, "AWS::Scheduler::Schedule", Vec::new());
        self.push(id.clone(), schedule);
        let dlq = props.get("DeadLetterConfig").map(|d| match d.get("Arn") {
            Some(arn) => arn.clone(),
            None => {
                let queue = d
                    .get("QueueLogicalId")
                    .and_then(Node::as_str)
                    .map_or_else(|| format!("{id}Queue"), str::to_string);
                let q = self.cfn_resource(src, line, "AWS::SQS::Queue", Vec::new());
                self.push(queue.clone(), q);
                get_att(line, &queue, "Arn")
            }
        });
        if props.get("RoleArn").is_some() {
            return;
        }
        let mut inline = vec![named_policy(
            line,
            &format!("{id}{suffix}"),
            allow(line, Node::str(line, action), target),
        )];
        if let Some(arn) = dlq {
            inline.push(named_policy(
                line,
                &format!("{id}SQSPolicy"),
                allow(line, Node::str(line, "sqs:SendMessage"), arn),
            ));
        }
        let role = Role {
            id: format!("{id}Role"),
            line,
            trust: service_trust(line, "scheduler.amazonaws.com"),
            managed: Vec::new(),
            inline,
            path: None,
            boundary: props.get("PermissionsBoundary").cloned(),
            condition: None,
        };
        self.emit_role(src, role);
    }

    /// A rule's `DeadLetterConfig` with `Type: SQS`: the queue the translator creates and
    /// its policy letting EventBridge send from this rule.
    fn rule_dead_letters(&mut self, src: &Source, rule: &str, props: &Node, line: usize) {
        let Some(d) = props.get("DeadLetterConfig") else {
            return;
        };
        if d.get("Arn").is_some() {
            return;
        }
        let queue = d
            .get("QueueLogicalId")
            .and_then(Node::as_str)
            .map_or_else(|| format!("{rule}Queue"), str::to_string);
        let statement = Node::map(
            line,
            vec![
                ("Action", Node::str(line, "sqs:SendMessage")),
                ("Effect", Node::str(line, "Allow")),
                (
                    "Principal",
                    Node::map(
                        line,
                        vec![("Service", Node::str(line, "events.amazonaws.com"))],
                    ),
                ),
                ("Resource", get_att(line, &queue, "Arn")),
                (
                    "Condition",
                    arn_equals_source(line, get_att(line, rule, "Arn")),
                ),
            ],
        );
        let q = self.cfn_resource(src, line, "AWS::SQS::Queue", Vec::new());
        self.push(queue.clone(), q);
        self.queue_policy(
            src,
            &format!("{rule}QueuePolicy"),
            reference(line, &queue),
            statement,
            line,
        );
    }

    /// An SNS event's `SqsSubscription`: the queue (created, or `QueueArn` / `QueueUrl`),
    /// its policy letting the topic send, and the queue's read policy on the role.
    fn sqs_subscription(
        &mut self,
        src: &Source,
        id: &str,
        sub: &Node,
        topic: Node,
        role: Option<&mut Role>,
        line: usize,
    ) {
        let (arn, url, policy_id) = match (sub.get("QueueArn"), sub.get("QueueUrl")) {
            (Some(arn), Some(url)) => (
                arn.clone(),
                url.clone(),
                sub.get("QueuePolicyLogicalId")
                    .and_then(Node::as_str)
                    .map_or_else(|| format!("{id}QueuePolicy"), str::to_string),
            ),
            _ => {
                let q = self.cfn_resource(src, line, "AWS::SQS::Queue", Vec::new());
                self.push(format!("{id}Queue"), q);
                (
                    get_att(line, &format!("{id}Queue"), "Arn"),
                    reference(line, &format!("{id}Queue")),
                    format!("{id}QueuePolicy"),
                )
            }
        };
        let statement = Node::map(
            line,
            vec![
                ("Action", Node::str(line, "sqs:SendMessage")),
                ("Effect", Node::str(line, "Allow")),
                ("Principal", Node::str(line, "*")),
                ("Resource", arn),
                ("Condition", arn_equals_source(line, topic)),
            ],
        );
        self.queue_policy(src, &policy_id, url, statement, line);
        if let Some(role) = role {
            let read = Node::str(
                line,
                self.managed_arn("service-role/AWSLambdaSQSQueueExecutionRole"),
            );
            if !role.managed.contains(&read) {
                role.managed.push(read);
            }
        }
    }

    /// An `AWS::SQS::QueuePolicy` of one statement on queue `url`.
    fn queue_policy(&mut self, src: &Source, id: &str, url: Node, statement: Node, line: usize) {
        let doc = document(line, true, vec![statement]);
        let p = self.cfn_resource(
            src,
            line,
            "AWS::SQS::QueuePolicy",
            vec![
                ("PolicyDocument", doc),
                ("Queues", Node::seq(line, vec![url])),
            ],
        );
        self.push(id.to_string(), p);
    }

    /// The EventBridge rule of a schedule or event-pattern source (its ARN limits the
    /// permission).
    fn rule(&mut self, src: &Source, id: &str, line: usize) {
        let r = self.cfn_resource(src, line, "AWS::Events::Rule", Vec::new());
        self.push(id.to_string(), r);
    }

    /// An API event's method as the permission writes it: `*` for `ANY`.
    fn method(&self, props: &Node) -> String {
        let m = props
            .get("Method")
            .and_then(|m| self.literal(m))
            .unwrap_or_else(|| "ANY".into());
        if m.eq_ignore_ascii_case("any") || m == "x-amazon-apigateway-any-method" {
            "*".into()
        } else {
            m.to_ascii_uppercase()
        }
    }

    /// The suffix of an API event's permission id: the explicit API's stage name when it
    /// is a literal, else `Prod` (the implicit API's stage).
    fn rest_stage(&self, props: &Node) -> String {
        let Some(api) = props
            .get("RestApiId")
            .and_then(|a| a.get("Ref"))
            .and_then(Node::as_str)
        else {
            return "Prod".into();
        };
        self.stage_names
            .get(api)
            .cloned()
            .filter(|s| s.chars().all(|c| c.is_ascii_alphanumeric()) && !s.is_empty())
            .unwrap_or_else(|| "Prod".into())
    }

    /// A state machine's events: a role per event that may start its executions.
    pub(super) fn state_machine_events(&mut self, src: &Source) -> Result<(), TemplateError> {
        let events = event_list(src)?;
        for e in &events {
            let (name, event, ty, props, path) = (e.name, e.node, e.ty, &e.props, &e.path);
            if ty == "ScheduleV2" {
                let start = (
                    "StartExecutionPolicy",
                    "states:StartExecution",
                    reference(event.line, &src.id),
                );
                self.schedule_v2(src, name, props, start, event.line);
                continue;
            }
            let principal = match ty {
                "Schedule" | "CloudWatchEvent" | "EventBridgeRule" => "events.amazonaws.com",
                "Api" => "apigateway.amazonaws.com",
                _ => {
                    self.unexpanded(
                        path.clone(),
                        event.line,
                        format!(
                            "state machine events of type `{ty}` are not expanded offline; the role they create is not checked"
                        ),
                    );
                    continue;
                }
            };
            if let Some(option) = unexpanded_option(ty, props) {
                self.unexpanded(
                    format!("{path}/Properties/{option}"),
                    props.line,
                    format!("`{option}` of a state machine event is not expanded offline"),
                );
            }
            if ty == "Api" && props.get("RestApiId").is_none() {
                self.implicit_rest.get_or_insert(event.line);
            }
            let line = event.line;
            if ty != "Api" {
                self.rule(src, &format!("{}{name}", src.id), line);
                self.rule_dead_letters(src, &format!("{}{name}", src.id), props, line);
            }
            let role_id = format!("{}{name}Role", src.id);
            let doc = allow(
                line,
                Node::str(line, "states:StartExecution"),
                reference(line, &src.id),
            );
            let policy = named_policy(line, &format!("{role_id}StartExecutionPolicy"), doc);
            let role = Role {
                id: role_id,
                line,
                trust: service_trust(line, principal),
                managed: Vec::new(),
                inline: vec![policy],
                path: None,
                boundary: src.prop("PermissionsBoundary").cloned(),
                condition: None,
            };
            self.emit_role(src, role);
        }
        Ok(())
    }
}

/// Whether `events` has an `HttpApi` event without `Path` (the `$default` route, any
/// method) on the API `api` (`None`: the implicit one).
fn default_route(events: &[Event], api: Option<&Node>) -> bool {
    events
        .iter()
        .any(|e| e.ty == "HttpApi" && e.props.get("Path").is_none() && e.props.get("ApiId") == api)
}

/// A route's path parameters as `*`, as the translator writes them into the source ARN:
/// `{name}` and `{proxy+}`, and for REST APIs any greedy `{name+}`.
pub(super) fn wildcard_parameters(path: &str, greedy: bool) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let inner = &after[..close];
        let name_ok = |n: &str| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        };
        let parameter = name_ok(inner)
            || inner == "proxy+"
            || (greedy && inner.strip_suffix('+').is_some_and(name_ok));
        if parameter {
            out.push('*');
        } else {
            out.push('{');
            out.push_str(inner);
            out.push('}');
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// `{"ArnEquals": {"aws:SourceArn": arn}}`
fn arn_equals_source(line: usize, arn: Node) -> Node {
    Node::map(
        line,
        vec![("ArnEquals", Node::map(line, vec![("aws:SourceArn", arn)]))],
    )
}

/// `false` as SAM reads a boolean property.
fn is_false(n: &Node) -> bool {
    matches!(n.kind, Kind::Bool(false)) || n.as_str() == Some("false")
}

/// A path without its trailing slash (API Gateway drops it), `/` kept.
pub(super) fn trim_slash(path: &str) -> &str {
    if path.len() > 1 {
        path.strip_suffix('/').unwrap_or(path)
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_become_wildcards_as_the_translator_writes_them() {
        assert_eq!(wildcard_parameters("/orders/{id}", true), "/orders/*");
        assert_eq!(wildcard_parameters("/{proxy+}", false), "/*");
        assert_eq!(wildcard_parameters("/files/{path+}", true), "/files/*");
        assert_eq!(
            wildcard_parameters("/files/{path+}", false),
            "/files/{path+}"
        );
        assert_eq!(wildcard_parameters("/a/{b c}/{", true), "/a/{b c}/{");
        assert_eq!(trim_slash("/items/"), "/items");
        assert_eq!(trim_slash("/"), "/");
    }
}
