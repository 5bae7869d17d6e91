//! The resource catalogue: which CloudFormation resource types hold policies and where,
//! and how modelled types answer `Ref` and `Fn::GetAtt` (names, ARNs, generated ids).

/// A resource type whose resource policy sits at a property path.
pub(super) struct ResourcePolicy {
    pub ty: &'static str,
    /// The property path of the policy document.
    pub path: &'static [&'static str],
    /// The policy's name in findings.
    pub name: &'static str,
    /// Its `check-no-public-access` resource type, when AWS has one (Kinesis and
    /// CloudTrail policies take theirs from the resource ARN: [`arn_public_type`]).
    pub public_type: Option<&'static str>,
}

/// A resource type holding an identity policy.
pub(super) struct IdentityPolicy {
    pub ty: &'static str,
    /// The property holding the document.
    pub property: &'static str,
    /// The property naming the policy (empty: the policy is named by `property`).
    pub name_property: &'static str,
}

/// An extra `Fn::GetAtt` attribute of a modelled type.
pub(super) struct Attribute {
    pub ty: &'static str,
    pub name: &'static str,
    /// What it returns: `name`, `arn` or `url`.
    pub returns: &'static str,
}

/// Resource types whose policy sits at a property path, and the public-access type.
pub(super) const RESOURCE_POLICIES: &[ResourcePolicy] = &[
    ResourcePolicy {
        ty: "AWS::S3::BucketPolicy",
        path: &["PolicyDocument"],
        name: "BucketPolicy",
        public_type: Some("AWS::S3::Bucket"),
    },
    ResourcePolicy {
        ty: "AWS::SQS::QueuePolicy",
        path: &["PolicyDocument"],
        name: "QueuePolicy",
        public_type: Some("AWS::SQS::Queue"),
    },
    ResourcePolicy {
        ty: "AWS::SNS::TopicPolicy",
        path: &["PolicyDocument"],
        name: "TopicPolicy",
        public_type: Some("AWS::SNS::Topic"),
    },
    ResourcePolicy {
        ty: "AWS::KMS::Key",
        path: &["KeyPolicy"],
        name: "KeyPolicy",
        public_type: Some("AWS::KMS::Key"),
    },
    ResourcePolicy {
        ty: "AWS::SecretsManager::ResourcePolicy",
        path: &["ResourcePolicy"],
        name: "ResourcePolicy",
        public_type: Some("AWS::SecretsManager::Secret"),
    },
    ResourcePolicy {
        ty: "AWS::S3::AccessPoint",
        path: &["Policy"],
        name: "AccessPointPolicy",
        public_type: Some("AWS::S3::AccessPoint"),
    },
    ResourcePolicy {
        ty: "AWS::S3Express::BucketPolicy",
        path: &["PolicyDocument"],
        name: "BucketPolicy",
        public_type: Some("AWS::S3Express::DirectoryBucket"),
    },
    ResourcePolicy {
        ty: "AWS::S3Express::AccessPoint",
        path: &["Policy"],
        name: "AccessPointPolicy",
        public_type: Some("AWS::S3Express::AccessPoint"),
    },
    ResourcePolicy {
        ty: "AWS::S3Outposts::BucketPolicy",
        path: &["PolicyDocument"],
        name: "BucketPolicy",
        public_type: Some("AWS::S3Outposts::Bucket"),
    },
    ResourcePolicy {
        ty: "AWS::S3Outposts::AccessPoint",
        path: &["Policy"],
        name: "AccessPointPolicy",
        public_type: Some("AWS::S3Outposts::AccessPoint"),
    },
    ResourcePolicy {
        ty: "AWS::S3Tables::TableBucketPolicy",
        path: &["ResourcePolicy"],
        name: "TableBucketPolicy",
        public_type: Some("AWS::S3Tables::TableBucket"),
    },
    ResourcePolicy {
        ty: "AWS::S3Tables::TablePolicy",
        path: &["ResourcePolicy"],
        name: "TablePolicy",
        public_type: Some("AWS::S3Tables::Table"),
    },
    ResourcePolicy {
        ty: "AWS::EFS::FileSystem",
        path: &["FileSystemPolicy"],
        name: "FileSystemPolicy",
        public_type: Some("AWS::EFS::FileSystem"),
    },
    ResourcePolicy {
        ty: "AWS::OpenSearchService::Domain",
        path: &["AccessPolicies"],
        name: "AccessPolicies",
        public_type: Some("AWS::OpenSearchService::Domain"),
    },
    ResourcePolicy {
        ty: "AWS::Elasticsearch::Domain",
        path: &["AccessPolicies"],
        name: "AccessPolicies",
        public_type: Some("AWS::OpenSearchService::Domain"),
    },
    ResourcePolicy {
        ty: "AWS::Backup::BackupVault",
        path: &["AccessPolicy"],
        name: "AccessPolicy",
        public_type: Some("AWS::Backup::BackupVault"),
    },
    ResourcePolicy {
        ty: "AWS::ApiGateway::RestApi",
        path: &["Policy"],
        name: "Policy",
        public_type: Some("AWS::ApiGateway::RestApi"),
    },
    // The OpenAPI definition's policy extension: API Gateway sets it as the API's
    // resource policy on import (SAM writes `Auth.ResourcePolicy` there).
    ResourcePolicy {
        ty: "AWS::ApiGateway::RestApi",
        path: &["Body", "x-amazon-apigateway-policy"],
        name: "OpenApiPolicy",
        public_type: Some("AWS::ApiGateway::RestApi"),
    },
    ResourcePolicy {
        ty: "AWS::CodeArtifact::Domain",
        path: &["PermissionsPolicyDocument"],
        name: "PermissionsPolicy",
        public_type: Some("AWS::CodeArtifact::Domain"),
    },
    ResourcePolicy {
        ty: "AWS::CodeArtifact::Repository",
        path: &["PermissionsPolicyDocument"],
        name: "PermissionsPolicy",
        public_type: None,
    },
    ResourcePolicy {
        ty: "AWS::DynamoDB::Table",
        path: &["ResourcePolicy", "PolicyDocument"],
        name: "ResourcePolicy",
        public_type: Some("AWS::DynamoDB::Table"),
    },
    ResourcePolicy {
        ty: "AWS::DynamoDB::Table",
        path: &["StreamSpecification", "ResourcePolicy", "PolicyDocument"],
        name: "StreamResourcePolicy",
        public_type: Some("AWS::DynamoDB::Stream"),
    },
    ResourcePolicy {
        ty: "AWS::ECR::Repository",
        path: &["RepositoryPolicyText"],
        name: "RepositoryPolicy",
        public_type: None,
    },
    ResourcePolicy {
        ty: "AWS::Kinesis::ResourcePolicy",
        path: &["ResourcePolicy"],
        name: "ResourcePolicy",
        public_type: Some("AWS::Kinesis::Stream"),
    },
    ResourcePolicy {
        ty: "AWS::CloudTrail::ResourcePolicy",
        path: &["ResourcePolicy"],
        name: "ResourcePolicy",
        public_type: None,
    },
];

/// Identity policies at a property path, and the property naming the policy.
pub(super) const IDENTITY_POLICIES: &[IdentityPolicy] = &[
    IdentityPolicy {
        ty: "AWS::IAM::Policy",
        property: "PolicyDocument",
        name_property: "PolicyName",
    },
    IdentityPolicy {
        ty: "AWS::IAM::ManagedPolicy",
        property: "PolicyDocument",
        name_property: "ManagedPolicyName",
    },
    IdentityPolicy {
        ty: "AWS::IAM::RolePolicy",
        property: "PolicyDocument",
        name_property: "PolicyName",
    },
    IdentityPolicy {
        ty: "AWS::IAM::UserPolicy",
        property: "PolicyDocument",
        name_property: "PolicyName",
    },
    IdentityPolicy {
        ty: "AWS::IAM::GroupPolicy",
        property: "PolicyDocument",
        name_property: "PolicyName",
    },
    IdentityPolicy {
        ty: "AWS::SSO::PermissionSet",
        property: "InlinePolicy",
        name_property: "",
    },
];

/// How a resource type answers `Ref` and `Fn::GetAtt`: the shape of its name and ARN.
pub(super) struct NameShape {
    pub ty: &'static str,
    /// The property that sets the physical name.
    pub name_prop: &'static str,
    /// The ARN, with `{p}`, `{r}`, `{a}`, `{path}` and `{name}`.
    pub arn: &'static str,
    /// What `Ref` returns: `name`, `arn`, `url` or a literal-id prefix such as `vpc-`.
    pub reference: &'static str,
}

pub(super) const NAME_SHAPES: &[NameShape] = &[
    NameShape {
        ty: "AWS::IAM::Role",
        name_prop: "RoleName",
        arn: "arn:{p}:iam::{a}:role{path}{name}",
        reference: "name",
    },
    NameShape {
        ty: "AWS::IAM::User",
        name_prop: "UserName",
        arn: "arn:{p}:iam::{a}:user{path}{name}",
        reference: "name",
    },
    NameShape {
        ty: "AWS::IAM::Group",
        name_prop: "GroupName",
        arn: "arn:{p}:iam::{a}:group{path}{name}",
        reference: "name",
    },
    NameShape {
        ty: "AWS::IAM::ManagedPolicy",
        name_prop: "ManagedPolicyName",
        arn: "arn:{p}:iam::{a}:policy{path}{name}",
        reference: "arn",
    },
    NameShape {
        ty: "AWS::IAM::InstanceProfile",
        name_prop: "InstanceProfileName",
        arn: "arn:{p}:iam::{a}:instance-profile{path}{name}",
        reference: "name",
    },
    NameShape {
        ty: "AWS::S3::Bucket",
        name_prop: "BucketName",
        arn: "arn:{p}:s3:::{name}",
        reference: "name",
    },
    NameShape {
        ty: "AWS::SQS::Queue",
        name_prop: "QueueName",
        arn: "arn:{p}:sqs:{r}:{a}:{name}",
        reference: "url",
    },
    NameShape {
        ty: "AWS::SNS::Topic",
        name_prop: "TopicName",
        arn: "arn:{p}:sns:{r}:{a}:{name}",
        reference: "arn",
    },
    NameShape {
        ty: "AWS::KMS::Key",
        name_prop: "",
        arn: "arn:{p}:kms:{r}:{a}:key/{name}",
        reference: "name",
    },
    NameShape {
        ty: "AWS::KMS::Alias",
        name_prop: "AliasName",
        arn: "arn:{p}:kms:{r}:{a}:{name}",
        reference: "name",
    },
    NameShape {
        ty: "AWS::SecretsManager::Secret",
        name_prop: "Name",
        arn: "arn:{p}:secretsmanager:{r}:{a}:secret:{name}-AbCdEf",
        reference: "arn",
    },
    NameShape {
        ty: "AWS::Lambda::Function",
        name_prop: "FunctionName",
        arn: "arn:{p}:lambda:{r}:{a}:function:{name}",
        reference: "name",
    },
    NameShape {
        ty: "AWS::DynamoDB::Table",
        name_prop: "TableName",
        arn: "arn:{p}:dynamodb:{r}:{a}:table/{name}",
        reference: "name",
    },
    NameShape {
        ty: "AWS::ECR::Repository",
        name_prop: "RepositoryName",
        arn: "arn:{p}:ecr:{r}:{a}:repository/{name}",
        reference: "name",
    },
    NameShape {
        ty: "AWS::Kinesis::Stream",
        name_prop: "Name",
        arn: "arn:{p}:kinesis:{r}:{a}:stream/{name}",
        reference: "name",
    },
    NameShape {
        ty: "AWS::Logs::LogGroup",
        name_prop: "LogGroupName",
        arn: "arn:{p}:logs:{r}:{a}:log-group:{name}:*",
        reference: "name",
    },
    NameShape {
        ty: "AWS::StepFunctions::StateMachine",
        name_prop: "StateMachineName",
        arn: "arn:{p}:states:{r}:{a}:stateMachine:{name}",
        reference: "arn",
    },
    NameShape {
        ty: "AWS::Events::EventBus",
        name_prop: "Name",
        arn: "arn:{p}:events:{r}:{a}:event-bus/{name}",
        reference: "name",
    },
    NameShape {
        ty: "AWS::Events::Rule",
        name_prop: "Name",
        arn: "arn:{p}:events:{r}:{a}:rule/{name}",
        reference: "name",
    },
    NameShape {
        ty: "AWS::CloudTrail::Trail",
        name_prop: "TrailName",
        arn: "arn:{p}:cloudtrail:{r}:{a}:trail/{name}",
        reference: "name",
    },
    NameShape {
        ty: "AWS::SSM::Parameter",
        name_prop: "Name",
        arn: "arn:{p}:ssm:{r}:{a}:parameter/{name}",
        reference: "name",
    },
    NameShape {
        ty: "AWS::EFS::FileSystem",
        name_prop: "",
        arn: "arn:{p}:elasticfilesystem:{r}:{a}:file-system/{name}",
        reference: "name",
    },
    NameShape {
        ty: "AWS::OpenSearchService::Domain",
        name_prop: "DomainName",
        arn: "arn:{p}:es:{r}:{a}:domain/{name}",
        reference: "name",
    },
    NameShape {
        ty: "AWS::Backup::BackupVault",
        name_prop: "BackupVaultName",
        arn: "arn:{p}:backup:{r}:{a}:backup-vault:{name}",
        reference: "name",
    },
    NameShape {
        ty: "AWS::CodeArtifact::Domain",
        name_prop: "DomainName",
        arn: "arn:{p}:codeartifact:{r}:{a}:domain/{name}",
        reference: "arn",
    },
    NameShape {
        ty: "AWS::ApiGateway::RestApi",
        name_prop: "",
        arn: "arn:{p}:execute-api:{r}:{a}:{name}",
        reference: "name",
    },
    NameShape {
        ty: "AWS::S3::AccessPoint",
        name_prop: "Name",
        arn: "arn:{p}:s3:{r}:{a}:accesspoint/{name}",
        reference: "name",
    },
    NameShape {
        ty: "AWS::EC2::VPC",
        name_prop: "",
        arn: "arn:{p}:ec2:{r}:{a}:vpc/{name}",
        reference: "name",
    },
    NameShape {
        ty: "AWS::EC2::VPCEndpoint",
        name_prop: "",
        arn: "arn:{p}:ec2:{r}:{a}:vpc-endpoint/{name}",
        reference: "name",
    },
    NameShape {
        ty: "AWS::EC2::SecurityGroup",
        name_prop: "",
        arn: "arn:{p}:ec2:{r}:{a}:security-group/{name}",
        reference: "name",
    },
];

/// Generated ids for resources without a name property.
pub(super) fn generated_id(ty: &str, id: &str) -> Option<String> {
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
pub(super) const ATTRIBUTES: &[Attribute] = &[
    Attribute {
        ty: "AWS::SQS::Queue",
        name: "QueueName",
        returns: "name",
    },
    Attribute {
        ty: "AWS::SQS::Queue",
        name: "QueueUrl",
        returns: "url",
    },
    Attribute {
        ty: "AWS::SNS::Topic",
        name: "TopicArn",
        returns: "arn",
    },
    Attribute {
        ty: "AWS::SNS::Topic",
        name: "TopicName",
        returns: "name",
    },
    Attribute {
        ty: "AWS::KMS::Key",
        name: "KeyId",
        returns: "name",
    },
    Attribute {
        ty: "AWS::S3::Bucket",
        name: "BucketName",
        returns: "name",
    },
    Attribute {
        ty: "AWS::SecretsManager::Secret",
        name: "Id",
        returns: "arn",
    },
    Attribute {
        ty: "AWS::EFS::FileSystem",
        name: "FileSystemId",
        returns: "name",
    },
    Attribute {
        ty: "AWS::ApiGateway::RestApi",
        name: "RestApiId",
        returns: "name",
    },
    Attribute {
        ty: "AWS::EC2::VPC",
        name: "VpcId",
        returns: "name",
    },
    Attribute {
        ty: "AWS::EC2::SecurityGroup",
        name: "GroupId",
        returns: "name",
    },
    Attribute {
        ty: "AWS::CodeArtifact::Domain",
        name: "Name",
        returns: "name",
    },
    Attribute {
        ty: "AWS::OpenSearchService::Domain",
        name: "DomainArn",
        returns: "arn",
    },
];

/// The public-access type of a Kinesis or CloudTrail resource policy, from its ARN.
pub(super) fn arn_public_type(ty: &str, arn: Option<&str>) -> Option<&'static str> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_type_is_listed_once_and_public_types_are_aws_types() {
        let mut seen = std::collections::BTreeSet::new();
        for p in RESOURCE_POLICIES {
            assert!(seen.insert((p.ty, p.path)), "{} twice", p.ty);
            if let Some(t) = p.public_type {
                assert!(crate::checks::RESOURCE_TYPES.contains(&t), "{t}");
            }
        }
        let mut shapes = std::collections::BTreeSet::new();
        for s in NAME_SHAPES {
            assert!(shapes.insert(s.ty), "{} twice", s.ty);
        }
        for a in ATTRIBUTES {
            assert!(
                shapes.contains(a.ty),
                "attribute of an unmodelled type {}",
                a.ty
            );
        }
    }

    #[test]
    fn generated_ids_have_the_services_formats() {
        let vpc = generated_id("AWS::EC2::VPC", "Net").unwrap();
        assert!(vpc.starts_with("vpc-") && vpc.len() == 21, "{vpc}");
        let key = generated_id("AWS::KMS::Key", "Key").unwrap();
        let groups: Vec<usize> = key.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert_eq!(generated_id("AWS::S3::Bucket", "B"), None);
    }

    #[test]
    fn kinesis_and_cloudtrail_policies_take_their_type_from_the_arn() {
        let consumer = "arn:aws:kinesis:us-east-1:1:stream/s/consumer/c:1";
        assert_eq!(
            arn_public_type("AWS::Kinesis::ResourcePolicy", Some(consumer)),
            Some("AWS::Kinesis::StreamConsumer")
        );
        assert_eq!(
            arn_public_type("AWS::Kinesis::ResourcePolicy", None),
            Some("AWS::Kinesis::Stream")
        );
        assert_eq!(
            arn_public_type(
                "AWS::CloudTrail::ResourcePolicy",
                Some("arn:aws:cloudtrail:us-east-1:1:eventdatastore/e")
            ),
            Some("AWS::CloudTrail::EventDataStore")
        );
        assert_eq!(
            arn_public_type("AWS::CloudTrail::ResourcePolicy", None),
            None
        );
    }
}
