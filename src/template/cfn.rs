//! CloudFormation: the policies of a template, with intrinsic functions resolved offline.
//!
//! Pseudo parameters come from [`Settings`]; parameters from `--parameters`, else their
//! `Default`, else they are unknown. A `Ref`/`Fn::GetAtt` to a resource of a modelled type
//! gives a plausible name or ARN of that type (its name property when set, otherwise
//! `STACK-LogicalId`); other resource types and attributes are unknown. A template
//! condition that depends on an unknown value is tried both ways: the template is
//! resolved once per combination and each policy records the assumptions it needs.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;

use super::node::{Kind as NKind, Node};
use super::{Found, Kind, Member, Part, PrincipalFound, Settings, TemplateError, Val};

/// The most template-condition combinations tried.
const MAX_VARIANTS: usize = 64;

/// Resource types whose policy sits at a property path, and the public-access type.
const RESOURCE_POLICIES: &[(&str, &[&str], &str, Option<&str>)] = &[
    (
        "AWS::S3::BucketPolicy",
        &["PolicyDocument"],
        "BucketPolicy",
        Some("AWS::S3::Bucket"),
    ),
    (
        "AWS::SQS::QueuePolicy",
        &["PolicyDocument"],
        "QueuePolicy",
        Some("AWS::SQS::Queue"),
    ),
    (
        "AWS::SNS::TopicPolicy",
        &["PolicyDocument"],
        "TopicPolicy",
        Some("AWS::SNS::Topic"),
    ),
    (
        "AWS::KMS::Key",
        &["KeyPolicy"],
        "KeyPolicy",
        Some("AWS::KMS::Key"),
    ),
    (
        "AWS::SecretsManager::ResourcePolicy",
        &["ResourcePolicy"],
        "ResourcePolicy",
        Some("AWS::SecretsManager::Secret"),
    ),
    (
        "AWS::S3::AccessPoint",
        &["Policy"],
        "AccessPointPolicy",
        Some("AWS::S3::AccessPoint"),
    ),
    (
        "AWS::S3Express::BucketPolicy",
        &["PolicyDocument"],
        "BucketPolicy",
        Some("AWS::S3Express::DirectoryBucket"),
    ),
    (
        "AWS::S3Express::AccessPoint",
        &["Policy"],
        "AccessPointPolicy",
        Some("AWS::S3Express::AccessPoint"),
    ),
    (
        "AWS::S3Outposts::BucketPolicy",
        &["PolicyDocument"],
        "BucketPolicy",
        Some("AWS::S3Outposts::Bucket"),
    ),
    (
        "AWS::S3Outposts::AccessPoint",
        &["Policy"],
        "AccessPointPolicy",
        Some("AWS::S3Outposts::AccessPoint"),
    ),
    (
        "AWS::S3Tables::TableBucketPolicy",
        &["ResourcePolicy"],
        "TableBucketPolicy",
        Some("AWS::S3Tables::TableBucket"),
    ),
    (
        "AWS::S3Tables::TablePolicy",
        &["ResourcePolicy"],
        "TablePolicy",
        Some("AWS::S3Tables::Table"),
    ),
    (
        "AWS::EFS::FileSystem",
        &["FileSystemPolicy"],
        "FileSystemPolicy",
        Some("AWS::EFS::FileSystem"),
    ),
    (
        "AWS::OpenSearchService::Domain",
        &["AccessPolicies"],
        "AccessPolicies",
        Some("AWS::OpenSearchService::Domain"),
    ),
    (
        "AWS::Elasticsearch::Domain",
        &["AccessPolicies"],
        "AccessPolicies",
        Some("AWS::OpenSearchService::Domain"),
    ),
    (
        "AWS::Backup::BackupVault",
        &["AccessPolicy"],
        "AccessPolicy",
        Some("AWS::Backup::BackupVault"),
    ),
    (
        "AWS::ApiGateway::RestApi",
        &["Policy"],
        "Policy",
        Some("AWS::ApiGateway::RestApi"),
    ),
    (
        "AWS::CodeArtifact::Domain",
        &["PermissionsPolicyDocument"],
        "PermissionsPolicy",
        Some("AWS::CodeArtifact::Domain"),
    ),
    (
        "AWS::CodeArtifact::Repository",
        &["PermissionsPolicyDocument"],
        "PermissionsPolicy",
        None,
    ),
    (
        "AWS::DynamoDB::Table",
        &["ResourcePolicy", "PolicyDocument"],
        "ResourcePolicy",
        Some("AWS::DynamoDB::Table"),
    ),
    (
        "AWS::DynamoDB::Table",
        &["StreamSpecification", "ResourcePolicy", "PolicyDocument"],
        "StreamResourcePolicy",
        Some("AWS::DynamoDB::Stream"),
    ),
    (
        "AWS::ECR::Repository",
        &["RepositoryPolicyText"],
        "RepositoryPolicy",
        None,
    ),
    (
        "AWS::Kinesis::ResourcePolicy",
        &["ResourcePolicy"],
        "ResourcePolicy",
        Some("AWS::Kinesis::Stream"),
    ),
    (
        "AWS::CloudTrail::ResourcePolicy",
        &["ResourcePolicy"],
        "ResourcePolicy",
        None,
    ),
];

/// Identity policies at a property path, and the property naming the policy.
const IDENTITY_POLICIES: &[(&str, &str, &str)] = &[
    ("AWS::IAM::Policy", "PolicyDocument", "PolicyName"),
    (
        "AWS::IAM::ManagedPolicy",
        "PolicyDocument",
        "ManagedPolicyName",
    ),
    ("AWS::IAM::RolePolicy", "PolicyDocument", "PolicyName"),
    ("AWS::IAM::UserPolicy", "PolicyDocument", "PolicyName"),
    ("AWS::IAM::GroupPolicy", "PolicyDocument", "PolicyName"),
    ("AWS::SSO::PermissionSet", "InlinePolicy", ""),
];

/// How a resource type answers `Ref` and `Fn::GetAtt`.
struct Model {
    ty: &'static str,
    /// The property that sets the physical name.
    name_prop: &'static str,
    /// The ARN, with `{p}`, `{r}`, `{a}`, `{path}` and `{name}`.
    arn: &'static str,
    /// What `Ref` returns: `name`, `arn`, `url` or a literal-id prefix such as `vpc-`.
    reference: &'static str,
}

const MODELS: &[Model] = &[
    Model {
        ty: "AWS::IAM::Role",
        name_prop: "RoleName",
        arn: "arn:{p}:iam::{a}:role{path}{name}",
        reference: "name",
    },
    Model {
        ty: "AWS::IAM::User",
        name_prop: "UserName",
        arn: "arn:{p}:iam::{a}:user{path}{name}",
        reference: "name",
    },
    Model {
        ty: "AWS::IAM::Group",
        name_prop: "GroupName",
        arn: "arn:{p}:iam::{a}:group{path}{name}",
        reference: "name",
    },
    Model {
        ty: "AWS::IAM::ManagedPolicy",
        name_prop: "ManagedPolicyName",
        arn: "arn:{p}:iam::{a}:policy{path}{name}",
        reference: "arn",
    },
    Model {
        ty: "AWS::IAM::InstanceProfile",
        name_prop: "InstanceProfileName",
        arn: "arn:{p}:iam::{a}:instance-profile{path}{name}",
        reference: "name",
    },
    Model {
        ty: "AWS::S3::Bucket",
        name_prop: "BucketName",
        arn: "arn:{p}:s3:::{name}",
        reference: "name",
    },
    Model {
        ty: "AWS::SQS::Queue",
        name_prop: "QueueName",
        arn: "arn:{p}:sqs:{r}:{a}:{name}",
        reference: "url",
    },
    Model {
        ty: "AWS::SNS::Topic",
        name_prop: "TopicName",
        arn: "arn:{p}:sns:{r}:{a}:{name}",
        reference: "arn",
    },
    Model {
        ty: "AWS::KMS::Key",
        name_prop: "",
        arn: "arn:{p}:kms:{r}:{a}:key/{name}",
        reference: "name",
    },
    Model {
        ty: "AWS::KMS::Alias",
        name_prop: "AliasName",
        arn: "arn:{p}:kms:{r}:{a}:{name}",
        reference: "name",
    },
    Model {
        ty: "AWS::SecretsManager::Secret",
        name_prop: "Name",
        arn: "arn:{p}:secretsmanager:{r}:{a}:secret:{name}-AbCdEf",
        reference: "arn",
    },
    Model {
        ty: "AWS::Lambda::Function",
        name_prop: "FunctionName",
        arn: "arn:{p}:lambda:{r}:{a}:function:{name}",
        reference: "name",
    },
    Model {
        ty: "AWS::DynamoDB::Table",
        name_prop: "TableName",
        arn: "arn:{p}:dynamodb:{r}:{a}:table/{name}",
        reference: "name",
    },
    Model {
        ty: "AWS::ECR::Repository",
        name_prop: "RepositoryName",
        arn: "arn:{p}:ecr:{r}:{a}:repository/{name}",
        reference: "name",
    },
    Model {
        ty: "AWS::Kinesis::Stream",
        name_prop: "Name",
        arn: "arn:{p}:kinesis:{r}:{a}:stream/{name}",
        reference: "name",
    },
    Model {
        ty: "AWS::Logs::LogGroup",
        name_prop: "LogGroupName",
        arn: "arn:{p}:logs:{r}:{a}:log-group:{name}:*",
        reference: "name",
    },
    Model {
        ty: "AWS::StepFunctions::StateMachine",
        name_prop: "StateMachineName",
        arn: "arn:{p}:states:{r}:{a}:stateMachine:{name}",
        reference: "arn",
    },
    Model {
        ty: "AWS::Events::EventBus",
        name_prop: "Name",
        arn: "arn:{p}:events:{r}:{a}:event-bus/{name}",
        reference: "name",
    },
    Model {
        ty: "AWS::Events::Rule",
        name_prop: "Name",
        arn: "arn:{p}:events:{r}:{a}:rule/{name}",
        reference: "name",
    },
    Model {
        ty: "AWS::CloudTrail::Trail",
        name_prop: "TrailName",
        arn: "arn:{p}:cloudtrail:{r}:{a}:trail/{name}",
        reference: "name",
    },
    Model {
        ty: "AWS::SSM::Parameter",
        name_prop: "Name",
        arn: "arn:{p}:ssm:{r}:{a}:parameter/{name}",
        reference: "name",
    },
    Model {
        ty: "AWS::EFS::FileSystem",
        name_prop: "",
        arn: "arn:{p}:elasticfilesystem:{r}:{a}:file-system/{name}",
        reference: "name",
    },
    Model {
        ty: "AWS::OpenSearchService::Domain",
        name_prop: "DomainName",
        arn: "arn:{p}:es:{r}:{a}:domain/{name}",
        reference: "name",
    },
    Model {
        ty: "AWS::Backup::BackupVault",
        name_prop: "BackupVaultName",
        arn: "arn:{p}:backup:{r}:{a}:backup-vault:{name}",
        reference: "name",
    },
    Model {
        ty: "AWS::CodeArtifact::Domain",
        name_prop: "DomainName",
        arn: "arn:{p}:codeartifact:{r}:{a}:domain/{name}",
        reference: "arn",
    },
    Model {
        ty: "AWS::ApiGateway::RestApi",
        name_prop: "",
        arn: "arn:{p}:execute-api:{r}:{a}:{name}",
        reference: "name",
    },
    Model {
        ty: "AWS::S3::AccessPoint",
        name_prop: "Name",
        arn: "arn:{p}:s3:{r}:{a}:accesspoint/{name}",
        reference: "name",
    },
    Model {
        ty: "AWS::EC2::VPC",
        name_prop: "",
        arn: "arn:{p}:ec2:{r}:{a}:vpc/{name}",
        reference: "name",
    },
    Model {
        ty: "AWS::EC2::VPCEndpoint",
        name_prop: "",
        arn: "arn:{p}:ec2:{r}:{a}:vpc-endpoint/{name}",
        reference: "name",
    },
    Model {
        ty: "AWS::EC2::SecurityGroup",
        name_prop: "",
        arn: "arn:{p}:ec2:{r}:{a}:security-group/{name}",
        reference: "name",
    },
];

/// Generated ids for resources without a name property.
fn generated_id(ty: &str, id: &str) -> Option<String> {
    let hex = {
        let digest = sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(
            id.as_bytes(),
        ));
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    Some(match ty {
        "AWS::KMS::Key" => format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        ),
        "AWS::EFS::FileSystem" => format!("fs-{}", &hex[0..17]),
        "AWS::ApiGateway::RestApi" => hex[0..10].to_string(),
        "AWS::EC2::VPC" => format!("vpc-{}", &hex[0..17]),
        "AWS::EC2::VPCEndpoint" => format!("vpce-{}", &hex[0..17]),
        "AWS::EC2::SecurityGroup" => format!("sg-{}", &hex[0..17]),
        _ => return None,
    })
}

/// Extra `Fn::GetAtt` attributes of modelled types: (type, attribute, what it returns).
const ATTRIBUTES: &[(&str, &str, &str)] = &[
    ("AWS::SQS::Queue", "QueueName", "name"),
    ("AWS::SQS::Queue", "QueueUrl", "url"),
    ("AWS::SNS::Topic", "TopicArn", "arn"),
    ("AWS::SNS::Topic", "TopicName", "name"),
    ("AWS::KMS::Key", "KeyId", "name"),
    ("AWS::S3::Bucket", "BucketName", "name"),
    ("AWS::SecretsManager::Secret", "Id", "arn"),
    ("AWS::EFS::FileSystem", "FileSystemId", "name"),
    ("AWS::ApiGateway::RestApi", "RestApiId", "name"),
    ("AWS::EC2::VPC", "VpcId", "name"),
    ("AWS::EC2::SecurityGroup", "GroupId", "name"),
    ("AWS::CodeArtifact::Domain", "Name", "name"),
    ("AWS::OpenSearchService::Domain", "DomainArn", "arn"),
];

/// A known string argument; an unknown one makes the whole value an unknown string.
macro_rules! known_or_return {
    ($run:expr, $node:expr, $path:expr, $what:expr) => {
        match $run.known_string($node, $path, $what)? {
            Ok(s) => s,
            Err(why) => return Ok(Val::Str(vec![Part::Unknown(why)])),
        }
    };
}

struct Template<'a> {
    settings: &'a Settings,
    params: HashMap<&'a str, Val>,
    mappings: Option<&'a Node>,
    conditions: HashMap<&'a str, &'a Node>,
    resources: Vec<(&'a str, &'a Node)>,
}

/// One resolution of the template under assumptions on undecidable conditions.
struct Run<'t, 'a> {
    t: &'t Template<'a>,
    assume: &'t BTreeMap<String, bool>,
    /// Undecidable conditions read without an assumption (taken as false), in order.
    defaulted: RefCell<Vec<String>>,
    /// Conditions being evaluated (cycle detection).
    evaluating: RefCell<Vec<String>>,
    /// Resources whose name is being resolved (cycle detection).
    naming: RefCell<Vec<String>>,
}

fn invalid(path: &str, node: &Node, message: impl Into<String>) -> TemplateError {
    TemplateError::Invalid {
        path: path.to_string(),
        line: node.line,
        message: message.into(),
    }
}

/// One resolution: the condition values it assumed and the policies it found.
type Resolution = (Vec<(String, bool)>, Vec<Found>);

/// Every policy of a CloudFormation template, and its principals.
pub fn find(
    root: &Node,
    settings: &Settings,
) -> Result<(Vec<Found>, Vec<PrincipalFound>), TemplateError> {
    let t = Template::new(root, settings)?;
    let mut runs: Vec<Resolution> = Vec::new();
    let mut principal_runs: Vec<Vec<PrincipalFound>> = Vec::new();
    let mut pending = vec![BTreeMap::new()];
    while let Some(assume) = pending.pop() {
        if runs.len() >= MAX_VARIANTS {
            return Err(TemplateError::Shape(format!(
                "the template's conditions depend on unknown parameters in more than {MAX_VARIANTS} combinations; give their values with --parameters"
            )));
        }
        let run = Run {
            t: &t,
            assume: &assume,
            defaulted: RefCell::new(Vec::new()),
            evaluating: RefCell::new(Vec::new()),
            naming: RefCell::new(Vec::new()),
        };
        let found = run.policies()?;
        principal_runs.push(run.principals()?);
        let defaulted = run.defaulted.into_inner();
        // Branch: each defaulted condition true, with the earlier ones false.
        for (i, c) in defaulted.iter().enumerate() {
            let mut next = assume.clone();
            for earlier in &defaulted[..i] {
                next.insert(earlier.clone(), false);
            }
            next.insert(c.clone(), true);
            pending.push(next);
        }
        let mut full: Vec<(String, bool)> = assume.into_iter().collect();
        full.extend(defaulted.into_iter().map(|c| (c, false)));
        full.sort();
        runs.push((full, found));
    }
    Ok((merge_runs(runs), super::merge_principals(principal_runs)))
}

/// Policies identical in every run need no assumptions; others keep their run's.
fn merge_runs(runs: Vec<Resolution>) -> Vec<Found> {
    let total = runs.len();
    let mut out: Vec<(Found, usize)> = Vec::new();
    for (assumptions, found) in runs {
        for mut f in found {
            let same = out.iter_mut().find(|(o, _)| {
                o.resource == f.resource
                    && o.policy_name == f.policy_name
                    && o.document == f.document
            });
            match same {
                Some((_, n)) => *n += 1,
                None => {
                    f.assumptions = assumptions.clone();
                    out.push((f, 1));
                }
            }
        }
    }
    out.into_iter()
        .map(|(mut f, n)| {
            if n == total {
                f.assumptions.clear();
            }
            f
        })
        .collect()
}

impl<'a> Template<'a> {
    fn new(root: &'a Node, settings: &'a Settings) -> Result<Self, TemplateError> {
        let NKind::Map(_) = &root.kind else {
            return Err(TemplateError::Shape(format!(
                "a CloudFormation template is a mapping with `Resources`, found {}",
                root.type_name()
            )));
        };
        let Some(resources) = root.get("Resources") else {
            return Err(TemplateError::Shape(
                "the template has no `Resources` section; give a CloudFormation template or a Terraform plan (`terraform show -json`)".into(),
            ));
        };
        let NKind::Map(resource_list) = &resources.kind else {
            return Err(invalid(
                "Resources",
                resources,
                format!(
                    "expected a mapping of resources, found {}",
                    resources.type_name()
                ),
            ));
        };
        let mut params = HashMap::new();
        let declared: Vec<(&str, &Node)> = match root.get("Parameters").map(|p| &p.kind) {
            Some(NKind::Map(ps)) => ps.iter().map(|(n, v)| (n.as_str(), v)).collect(),
            _ => Vec::new(),
        };
        for (given, _) in &settings.parameters {
            if !declared.iter().any(|(n, _)| n == given) {
                return Err(TemplateError::Shape(format!(
                    "--parameters `{given}`: the template has no parameter `{given}`; it declares {}",
                    if declared.is_empty() {
                        "none".to_string()
                    } else {
                        declared
                            .iter()
                            .map(|(n, _)| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                )));
            }
        }
        for (name, spec) in declared {
            let ty = spec.get("Type").and_then(Node::as_str).unwrap_or("String");
            let list = ty == "CommaDelimitedList" || ty.starts_with("List<");
            let given = settings
                .parameters
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone());
            if let (Some(v), Some(NKind::Seq(allowed))) =
                (&given, spec.get("AllowedValues").map(|a| &a.kind))
            {
                let allowed: Vec<String> = allowed
                    .iter()
                    .filter_map(|a| match &a.kind {
                        NKind::Str(s) | NKind::Number(s) => Some(s.clone()),
                        NKind::Bool(b) => Some(b.to_string()),
                        _ => None,
                    })
                    .collect();
                let values: Vec<&str> = if list {
                    v.split(',').map(str::trim).collect()
                } else {
                    vec![v.as_str()]
                };
                if let Some(bad) = values.iter().find(|x| !allowed.iter().any(|a| a == *x)) {
                    return Err(TemplateError::Shape(format!(
                        "--parameters `{name}={v}`: `{bad}` is not one of the parameter's AllowedValues {}",
                        allowed
                            .iter()
                            .map(|a| format!("`{a}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
            let default = spec.get("Default").and_then(|d| match &d.kind {
                NKind::Str(s) | NKind::Number(s) => Some(s.clone()),
                NKind::Bool(b) => Some(b.to_string()),
                NKind::Seq(items) if list => Some(
                    items
                        .iter()
                        .filter_map(|i| match &i.kind {
                            NKind::Str(s) | NKind::Number(s) => Some(s.clone()),
                            _ => None,
                        })
                        .collect::<Vec<_>>()
                        .join(","),
                ),
                _ => None,
            });
            let value = match given.or(default) {
                Some(v) if list => Val::List(v.split(',').map(|s| Val::lit(s.trim())).collect()),
                Some(v) => Val::lit(v),
                None => {
                    let why = format!(
                        "parameter `{name}` has no value; give `--parameters {name}=VALUE`"
                    );
                    if list {
                        Val::Unknown(why)
                    } else {
                        Val::Str(vec![Part::Unknown(why)])
                    }
                }
            };
            params.insert(name, value);
        }
        let conditions = match root.get("Conditions").map(|c| &c.kind) {
            Some(NKind::Map(cs)) => cs.iter().map(|(n, v)| (n.as_str(), v)).collect(),
            _ => HashMap::new(),
        };
        let resources = resource_list.iter().map(|(n, v)| (n.as_str(), v)).collect();
        Ok(Template {
            settings,
            params,
            mappings: root.get("Mappings"),
            conditions,
            resources,
        })
    }

    fn resource(&self, id: &str) -> Option<&'a Node> {
        self.resources
            .iter()
            .find(|(n, _)| *n == id)
            .map(|(_, r)| *r)
    }
}

impl Run<'_, '_> {
    /// The resources this resolution deploys (their `Condition` holds): (id, node, type).
    fn deployed(&self) -> Result<Vec<(&str, &Node, &str)>, TemplateError> {
        let mut out = Vec::new();
        for &(id, res) in &self.t.resources {
            let path = format!("Resources/{id}");
            let Some(ty) = res.get("Type").and_then(Node::as_str) else {
                return Err(invalid(&path, res, "the resource has no `Type`"));
            };
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
            }
            out.push((id, res, ty));
        }
        Ok(out)
    }

    /// The strings a property holds: a list, one value, or nothing; `Err` with why when
    /// the value is unknown offline.
    fn strings(
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
    fn policy_member(arn: Option<String>, what: &str, managed: &[(String, String)]) -> Member {
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
    fn permission_set(
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
    fn principals(&self) -> Result<Vec<PrincipalFound>, TemplateError> {
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

    fn policies(&self) -> Result<Vec<Found>, TemplateError> {
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
                    for &(pty, prop, prop_name) in IDENTITY_POLICIES {
                        if pty != ty {
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
                    for &(pty, at, name, public_type) in RESOURCE_POLICIES {
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
    fn document(&self, node: &Node, path: &str) -> Result<Result<Val, String>, TemplateError> {
        let v = self.resolve(node, path)?;
        self.as_document(v, path, node)
    }

    fn as_document(
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
    fn lambda_permission(
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
        Ok(Ok(super::lambda_policy(
            self.t.settings,
            principal,
            action,
            function,
            fields,
        )))
    }

    /// Resolves every intrinsic function in a value.
    fn resolve(&self, node: &Node, path: &str) -> Result<Val, TemplateError> {
        match &node.kind {
            NKind::Null => Ok(Val::Null),
            NKind::Bool(b) => Ok(Val::Bool(*b)),
            NKind::Number(n) => Ok(Val::Num(n.clone())),
            NKind::Str(s) => Ok(Val::lit(s.clone())),
            NKind::Seq(items) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match self.resolve(item, &format!("{path}/{i}"))? {
                        Val::NoValue => {}
                        v => out.push(v),
                    }
                }
                Ok(Val::List(out))
            }
            NKind::Map(members) => {
                if let [(name, arg)] = members.as_slice()
                    && (name == "Ref" || name.starts_with("Fn::"))
                {
                    return self.intrinsic(name, arg, &format!("{path}/{name}"));
                }
                let mut out = Vec::new();
                for (name, v) in members {
                    match self.resolve(v, &format!("{path}/{name}"))? {
                        Val::NoValue => {}
                        v => out.push((name.clone(), v)),
                    }
                }
                Ok(Val::Map(out))
            }
        }
    }

    /// A resolved argument that must be a known string.
    fn known_string(
        &self,
        node: &Node,
        path: &str,
        what: &str,
    ) -> Result<Result<String, String>, TemplateError> {
        let v = self.resolve(node, path)?;
        Ok(match v.known_str() {
            Some(s) => Ok(s),
            None => match v.first_unknown() {
                Some(why) => Err(why.to_string()),
                None => {
                    return Err(invalid(
                        path,
                        node,
                        format!("{what} must be a string, found `{v}`"),
                    ));
                }
            },
        })
    }

    fn args<'n>(
        &self,
        arg: &'n Node,
        path: &str,
        f: &str,
        counts: &[usize],
    ) -> Result<&'n [Node], TemplateError> {
        match &arg.kind {
            NKind::Seq(items) if counts.contains(&items.len()) => Ok(items),
            _ => Err(invalid(
                path,
                arg,
                format!(
                    "`{f}` takes a list of {} arguments, found {}",
                    counts
                        .iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(" or "),
                    match &arg.kind {
                        NKind::Seq(items) => format!("{} items", items.len()),
                        _ => arg.type_name().to_string(),
                    }
                ),
            )),
        }
    }

    fn intrinsic(&self, f: &str, arg: &Node, path: &str) -> Result<Val, TemplateError> {
        let s = self.t.settings;
        match f {
            "Ref" => {
                let Some(name) = arg.as_str() else {
                    return Err(invalid(
                        path,
                        arg,
                        "`Ref` takes the name of a parameter, resource or pseudo parameter",
                    ));
                };
                self.reference(name, path, arg)
            }
            "Fn::GetAtt" => {
                let (res, attr) = match &arg.kind {
                    NKind::Str(s) => match s.split_once('.') {
                        Some((r, a)) => (r.to_string(), a.to_string()),
                        None => {
                            return Err(invalid(
                                path,
                                arg,
                                "write `Resource.Attribute` or `[Resource, Attribute]`",
                            ));
                        }
                    },
                    NKind::Seq(items) if items.len() == 2 => {
                        let res = items[0].as_str().map(str::to_string).ok_or_else(|| {
                            invalid(
                                path,
                                arg,
                                "the resource of `Fn::GetAtt` must be a logical id",
                            )
                        })?;
                        (
                            res,
                            known_or_return!(
                                self,
                                &items[1],
                                &format!("{path}/1"),
                                "the attribute"
                            ),
                        )
                    }
                    _ => {
                        return Err(invalid(
                            path,
                            arg,
                            "`Fn::GetAtt` takes `[Resource, Attribute]`",
                        ));
                    }
                };
                self.attribute(&res, &attr, path, arg)
            }
            "Fn::Join" => {
                let a = self.args(arg, path, f, &[2])?;
                let delim = known_or_return!(self, &a[0], &format!("{path}/0"), "the delimiter");
                match self.resolve(&a[1], &format!("{path}/1"))? {
                    Val::List(items) => {
                        let mut parts = Vec::new();
                        for (i, item) in items.into_iter().enumerate() {
                            if i > 0 {
                                parts.push(Part::Lit(delim.clone()));
                            }
                            match item {
                                Val::Str(p) => parts.extend(p),
                                Val::Unknown(why) => parts.push(Part::Unknown(why)),
                                other => match other.known_str() {
                                    Some(t) => parts.push(Part::Lit(t)),
                                    None => {
                                        return Err(invalid(
                                            path,
                                            arg,
                                            format!("`Fn::Join` joins strings, found `{other}`"),
                                        ));
                                    }
                                },
                            }
                        }
                        Ok(Val::Str(merge(parts)))
                    }
                    Val::Unknown(why) => Ok(Val::Str(vec![Part::Unknown(why)])),
                    other => Err(invalid(
                        path,
                        arg,
                        format!("`Fn::Join` needs a list to join, found `{other}`"),
                    )),
                }
            }
            "Fn::Sub" => {
                let (text, vars) = match &arg.kind {
                    NKind::Str(t) => (t.clone(), Vec::new()),
                    NKind::Seq(items) if items.len() == 2 => {
                        let Some(t) = items[0].as_str() else {
                            return Err(invalid(
                                path,
                                arg,
                                "the first argument of `Fn::Sub` must be a string",
                            ));
                        };
                        let NKind::Map(vars) = &items[1].kind else {
                            return Err(invalid(
                                path,
                                arg,
                                "the second argument of `Fn::Sub` must be a mapping of variables",
                            ));
                        };
                        let mut resolved = Vec::new();
                        for (n, v) in vars {
                            resolved.push((n.clone(), self.resolve(v, &format!("{path}/1/{n}"))?));
                        }
                        (t.to_string(), resolved)
                    }
                    _ => {
                        return Err(invalid(
                            path,
                            arg,
                            "`Fn::Sub` takes a string or `[string, {variables}]`",
                        ));
                    }
                };
                self.sub(&text, &vars, path, arg)
            }
            "Fn::Select" => {
                let a = self.args(arg, path, f, &[2])?;
                let index = known_or_return!(self, &a[0], &format!("{path}/0"), "the index");
                let Ok(index) = index.parse::<usize>() else {
                    return Err(invalid(
                        path,
                        arg,
                        format!("`Fn::Select` index `{index}` is not a non-negative integer"),
                    ));
                };
                match self.resolve(&a[1], &format!("{path}/1"))? {
                    Val::List(items) => items.into_iter().nth(index).ok_or_else(|| {
                        invalid(
                            path,
                            arg,
                            format!("`Fn::Select` index {index} is past the end of the list"),
                        )
                    }),
                    Val::Unknown(why) => Ok(Val::Str(vec![Part::Unknown(why)])),
                    other => Err(invalid(
                        path,
                        arg,
                        format!("`Fn::Select` needs a list, found `{other}`"),
                    )),
                }
            }
            "Fn::Split" => {
                let a = self.args(arg, path, f, &[2])?;
                let delim = match self.known_string(&a[0], &format!("{path}/0"), "the delimiter")? {
                    Ok(d) if !d.is_empty() => d,
                    Ok(_) => {
                        return Err(invalid(path, arg, "the delimiter of `Fn::Split` is empty"));
                    }
                    Err(why) => return Ok(Val::Unknown(why)),
                };
                match self.known_string(&a[1], &format!("{path}/1"), "the source string")? {
                    Ok(text) => Ok(Val::List(
                        text.split(delim.as_str()).map(Val::lit).collect(),
                    )),
                    Err(why) => Ok(Val::Unknown(format!(
                        "`Fn::Split` of a value with an unknown part ({why})"
                    ))),
                }
            }
            "Fn::FindInMap" => {
                let a = self.args(arg, path, f, &[3, 4])?;
                let mut keys = Vec::new();
                for (i, k) in a[..3].iter().enumerate() {
                    keys.push(known_or_return!(self, k, &format!("{path}/{i}"), "a key"));
                }
                let found = self
                    .t
                    .mappings
                    .and_then(|m| m.get(&keys[0]))
                    .and_then(|m| m.get(&keys[1]))
                    .and_then(|m| m.get(&keys[2]));
                match (found, a.get(3)) {
                    (Some(v), _) => {
                        self.resolve(v, &format!("Mappings/{}/{}/{}", keys[0], keys[1], keys[2]))
                    }
                    (None, Some(default)) => match default.get("DefaultValue") {
                        Some(d) => self.resolve(d, &format!("{path}/3/DefaultValue")),
                        None => Err(invalid(
                            path,
                            arg,
                            "the fourth argument of `Fn::FindInMap` is `{DefaultValue: ...}`",
                        )),
                    },
                    (None, None) => Err(invalid(
                        path,
                        arg,
                        format!(
                            "`Fn::FindInMap`: Mappings has no `{}` / `{}` / `{}`",
                            keys[0], keys[1], keys[2]
                        ),
                    )),
                }
            }
            "Fn::If" => {
                let a = self.args(arg, path, f, &[3])?;
                let Some(name) = a[0].as_str() else {
                    return Err(invalid(
                        path,
                        arg,
                        "the first argument of `Fn::If` is a condition name",
                    ));
                };
                if self.truth(name, path, arg)? {
                    self.resolve(&a[1], &format!("{path}/1"))
                } else {
                    self.resolve(&a[2], &format!("{path}/2"))
                }
            }
            "Fn::ImportValue" => {
                let name = self.resolve(arg, path)?;
                Ok(Val::Str(vec![Part::Unknown(format!(
                    "`Fn::ImportValue {name}` is another stack's export"
                ))]))
            }
            "Fn::GetAZs" => {
                let region = match self.known_string(arg, path, "the region")? {
                    Ok(r) if !r.is_empty() => r,
                    Ok(_) => s.region.clone(),
                    Err(why) => return Ok(Val::Unknown(why)),
                };
                Ok(Val::List(
                    ["a", "b", "c"]
                        .iter()
                        .map(|z| Val::lit(format!("{region}{z}")))
                        .collect(),
                ))
            }
            "Fn::Base64" => Ok(match self.known_string(arg, path, "the value")? {
                Ok(t) => Val::lit(base64::engine::general_purpose::STANDARD.encode(t)),
                Err(why) => Val::Str(vec![Part::Unknown(why)]),
            }),
            "Fn::Length" => Ok(match self.resolve(arg, path)? {
                Val::List(items) => Val::Num(items.len().to_string()),
                other => Val::Str(vec![Part::Unknown(format!("`Fn::Length` of `{other}`"))]),
            }),
            "Fn::ToJsonString" => {
                let v = self.resolve(arg, path)?;
                Ok(match v.first_unknown() {
                    None => Val::lit(super::render::plain(&v).to_string()),
                    Some(why) => Val::Str(vec![Part::Unknown(why.to_string())]),
                })
            }
            "Fn::Cidr" => Ok(Val::Unknown("`Fn::Cidr` is not evaluated offline".into())),
            "Fn::Transform" => Ok(Val::Unknown(
                "`Fn::Transform` runs a macro at deploy time".into(),
            )),
            "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" => Err(invalid(
                path,
                arg,
                format!(
                    "`{f}` belongs in the Conditions section; use `Fn::If` with a condition name here"
                ),
            )),
            _ => Err(invalid(
                path,
                arg,
                format!("unknown intrinsic function `{f}`"),
            )),
        }
    }

    fn reference(&self, name: &str, path: &str, at: &Node) -> Result<Val, TemplateError> {
        let s = self.t.settings;
        let suffix = if s.partition == "aws-cn" {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        Ok(match name {
            "AWS::AccountId" => Val::lit(&s.account_id),
            "AWS::Region" => Val::lit(&s.region),
            "AWS::Partition" => Val::lit(&s.partition),
            "AWS::StackName" => Val::lit(&s.stack_name),
            "AWS::StackId" => Val::lit(format!(
                "arn:{}:cloudformation:{}:{}:stack/{}/00000000-0000-0000-0000-000000000000",
                s.partition, s.region, s.account_id, s.stack_name
            )),
            "AWS::URLSuffix" => Val::lit(suffix),
            "AWS::NoValue" => Val::NoValue,
            "AWS::NotificationARNs" => {
                Val::Unknown("`AWS::NotificationARNs` is known at deploy time".into())
            }
            _ => {
                if let Some(v) = self.t.params.get(name) {
                    return Ok(v.clone());
                }
                if let Some(res) = self.t.resource(name) {
                    return self.resource_value(name, res, "Ref", path);
                }
                return Err(invalid(
                    path,
                    at,
                    format!(
                        "`Ref {name}`: no parameter, resource or pseudo parameter is named `{name}`"
                    ),
                ));
            }
        })
    }

    fn attribute(&self, id: &str, attr: &str, path: &str, at: &Node) -> Result<Val, TemplateError> {
        let Some(res) = self.t.resource(id) else {
            return Err(invalid(
                path,
                at,
                format!("`Fn::GetAtt {id}.{attr}`: the template has no resource `{id}`"),
            ));
        };
        self.resource_value(id, res, attr, path)
    }

    /// `Ref` (attr = "Ref") or an attribute of a resource.
    fn resource_value(
        &self,
        id: &str,
        res: &Node,
        attr: &str,
        path: &str,
    ) -> Result<Val, TemplateError> {
        let ty = res.get("Type").and_then(Node::as_str).unwrap_or("");
        let Some(model) = MODELS.iter().find(|m| m.ty == ty) else {
            return Ok(Val::Str(vec![Part::Unknown(format!(
                "`{attr}` of `{id}` (`{ty}`) is not modelled offline"
            ))]));
        };
        let what = match attr {
            "Ref" => model.reference,
            "Arn" => "arn",
            _ => match ATTRIBUTES.iter().find(|(t, a, _)| *t == ty && *a == attr) {
                Some((_, _, w)) => w,
                None => {
                    return Ok(Val::Str(vec![Part::Unknown(format!(
                        "attribute `{attr}` of `{id}` (`{ty}`) is not modelled offline"
                    ))]));
                }
            },
        };
        let s = self.t.settings;
        let props = res.get("Properties");
        if self.naming.borrow().iter().any(|n| n == id) {
            return Err(TemplateError::Invalid {
                path: path.to_string(),
                line: res.line,
                message: format!("the name of `{id}` refers to itself (through `{attr}`)"),
            });
        }
        self.naming.borrow_mut().push(id.to_string());
        let name = self.resource_name(id, ty, model, props);
        self.naming.borrow_mut().pop();
        let name = name?;
        let name_parts = match name {
            Val::Str(p) => p,
            other => vec![Part::Lit(other.known_str().unwrap_or_default())],
        };
        let fill = |template: &str| -> Result<Val, TemplateError> {
            let iam_path = match props.and_then(|p| p.get("Path")) {
                Some(p) => match self.resolve(p, &format!("Resources/{id}/Properties/Path"))? {
                    Val::Str(parts) => parts,
                    _ => vec![Part::Lit("/".into())],
                },
                None => vec![Part::Lit("/".into())],
            };
            let mut parts = Vec::new();
            let mut rest = template;
            while let Some(start) = rest.find('{') {
                parts.push(Part::Lit(rest[..start].to_string()));
                let end = rest[start..]
                    .find('}')
                    .map(|e| start + e)
                    .unwrap_or(rest.len() - 1);
                match &rest[start + 1..end] {
                    "p" => parts.push(Part::Lit(s.partition.clone())),
                    "r" => parts.push(Part::Lit(s.region.clone())),
                    "a" => parts.push(Part::Lit(s.account_id.clone())),
                    "path" => parts.extend(iam_path.iter().cloned()),
                    _ => {
                        // An alias name already carries `alias/`.
                        let mut n = name_parts.clone();
                        if ty == "AWS::SSM::Parameter"
                            && let Some(Part::Lit(first)) = n.first_mut()
                        {
                            *first = first.trim_start_matches('/').to_string();
                        }
                        parts.extend(n);
                    }
                }
                rest = &rest[end + 1..];
            }
            parts.push(Part::Lit(rest.to_string()));
            Ok(Val::Str(merge(parts)))
        };
        match what {
            "name" => Ok(Val::Str(name_parts.clone())),
            "arn" => fill(model.arn),
            "url" => fill("https://sqs.{r}.amazonaws.com/{a}/{name}"),
            _ => Ok(Val::Str(vec![Part::Unknown(format!("`{attr}` of `{id}`"))])),
        }
    }

    /// A resource's physical name: its name property, else a generated one.
    fn resource_name(
        &self,
        id: &str,
        ty: &str,
        model: &Model,
        props: Option<&Node>,
    ) -> Result<Val, TemplateError> {
        let s = self.t.settings;
        Ok(
            match props
                .and_then(|p| p.get(model.name_prop))
                .filter(|_| !model.name_prop.is_empty())
            {
                Some(n) => {
                    self.resolve(n, &format!("Resources/{id}/Properties/{}", model.name_prop))?
                }
                None => match generated_id(ty, id) {
                    Some(g) => Val::lit(g),
                    None if ty == "AWS::S3::Bucket" => {
                        Val::lit(format!("{}-{}", s.stack_name, id).to_lowercase())
                    }
                    None => Val::lit(format!("{}-{}", s.stack_name, id)),
                },
            },
        )
    }

    /// `Fn::Sub`: `${Name}`, `${Resource.Attribute}` and `${!Literal}`.
    fn sub(
        &self,
        text: &str,
        vars: &[(String, Val)],
        path: &str,
        at: &Node,
    ) -> Result<Val, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            parts.push(Part::Lit(rest[..start].to_string()));
            let after = &rest[start + 2..];
            if let Some(lit) = after.strip_prefix('!') {
                parts.push(Part::Lit("${".into()));
                rest = lit;
                continue;
            }
            let Some(end) = after.find('}') else {
                return Err(invalid(
                    path,
                    at,
                    format!("`Fn::Sub`: `${{` without a closing `}}` in `{text}`"),
                ));
            };
            let var = after[..end].trim();
            let value = if let Some((_, v)) = vars.iter().find(|(n, _)| n == var) {
                v.clone()
            } else if let Some((res, attr)) = var
                .split_once('.')
                .filter(|(r, _)| self.t.resource(r).is_some())
            {
                self.attribute(res, attr, path, at)?
            } else if self.t.params.contains_key(var)
                || self.t.resource(var).is_some()
                || var.starts_with("AWS::")
            {
                self.reference(var, path, at)?
            } else {
                return Err(invalid(
                    path,
                    at,
                    format!(
                        "`Fn::Sub` variable `{var}` is not a parameter, resource or pseudo parameter; an IAM policy variable is written `${{!{var}}}`"
                    ),
                ));
            };
            match value {
                Val::Str(p) => parts.extend(p),
                Val::Unknown(why) => parts.push(Part::Unknown(why)),
                other => match other.known_str() {
                    Some(t) => parts.push(Part::Lit(t)),
                    None => {
                        return Err(invalid(
                            path,
                            at,
                            format!("`Fn::Sub` variable `{var}` is `{other}`, not a string"),
                        ));
                    }
                },
            }
            rest = &after[end + 1..];
        }
        parts.push(Part::Lit(rest.to_string()));
        Ok(Val::Str(merge(parts)))
    }

    /// The value of a named condition; unknown ones follow the run's assumptions.
    fn truth(&self, name: &str, path: &str, at: &Node) -> Result<bool, TemplateError> {
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

    fn condition(&self, name: &str, path: &str, at: &Node) -> Result<Option<bool>, TemplateError> {
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
    fn cond_value(&self, node: &Node, path: &str) -> Result<Option<bool>, TemplateError> {
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

/// The public-access type of a Kinesis or CloudTrail resource policy, from its ARN.
fn arn_public_type(ty: &str, arn: Option<&str>) -> Option<&'static str> {
    match (ty, arn) {
        ("AWS::Kinesis::ResourcePolicy", Some(a)) if a.contains("/consumer/") => {
            Some("AWS::Kinesis::StreamConsumer")
        }
        ("AWS::Kinesis::ResourcePolicy", _) => Some("AWS::Kinesis::Stream"),
        (_, Some(a)) if a.contains(":eventdatastore/") => Some("AWS::CloudTrail::EventDataStore"),
        (_, Some(a)) if a.contains(":dashboard/") => Some("AWS::CloudTrail::Dashboard"),
        _ => None,
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

/// Joins adjacent literal parts and drops empty ones.
fn merge(parts: Vec<Part>) -> Vec<Part> {
    let mut out: Vec<Part> = Vec::new();
    for p in parts {
        match (out.last_mut(), p) {
            (_, Part::Lit(s)) if s.is_empty() => {}
            (Some(Part::Lit(prev)), Part::Lit(s)) => prev.push_str(&s),
            (_, p) => out.push(p),
        }
    }
    if out.is_empty() {
        out.push(Part::Lit(String::new()));
    }
    out
}

/// A policy given as JSON text that may contain unknown parts (e.g. an `Fn::Sub` over
/// the whole document): each unknown must sit inside a JSON string.
pub fn json_with_unknowns(parts: &[Part]) -> Result<Val, String> {
    const OPEN: char = '\u{E000}';
    const CLOSE: char = '\u{E001}';
    let mut text = String::new();
    let mut reasons = Vec::new();
    for p in parts {
        match p {
            Part::Lit(s) => text.push_str(s),
            Part::Unknown(why) => {
                text.push(OPEN);
                text.push_str(&reasons.len().to_string());
                text.push(CLOSE);
                reasons.push(why.clone());
            }
        }
    }
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        if reasons.is_empty() {
            format!("the policy text is not valid JSON: {e}")
        } else {
            format!("the policy text is not valid JSON, or an unknown value ({}) sits outside a JSON string: {e}", reasons[0])
        }
    })?;
    fn back(v: &serde_json::Value, reasons: &[String]) -> Val {
        match v {
            serde_json::Value::String(s) if s.contains(OPEN) => {
                let mut parts = Vec::new();
                let mut rest = s.as_str();
                while let Some(i) = rest.find(OPEN) {
                    parts.push(Part::Lit(rest[..i].to_string()));
                    let after = &rest[i + OPEN.len_utf8()..];
                    let end = after.find(CLOSE).unwrap_or(after.len());
                    let n: usize = after[..end].parse().unwrap_or(0);
                    parts.push(Part::Unknown(reasons.get(n).cloned().unwrap_or_default()));
                    rest = after.get(end + CLOSE.len_utf8()..).unwrap_or("");
                }
                parts.push(Part::Lit(rest.to_string()));
                Val::Str(merge(parts))
            }
            serde_json::Value::Array(items) => {
                Val::List(items.iter().map(|i| back(i, reasons)).collect())
            }
            serde_json::Value::Object(m) => Val::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), back(v, reasons)))
                    .collect(),
            ),
            other => Val::from_json(other),
        }
    }
    Ok(back(&value, &reasons))
}
