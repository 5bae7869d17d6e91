//! Policies extracted from CloudFormation templates and Terraform plans: every resource
//! type and intrinsic function the extractor supports, with the extracted policy text
//! and the outcome of a check on it.

use hornbeam::checks::Access;
use hornbeam::checks::{Options, Verdict};
use hornbeam::policy::{self, PolicyType};
use hornbeam::template::{self, Extracted, Format, Kind, Settings};
use serde_json::{Value, json};

fn settings(params: &[(&str, &str)]) -> Settings {
    Settings {
        parameters: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Settings::default()
    }
}

fn extract(text: &str, params: &[(&str, &str)]) -> Vec<Extracted> {
    match template::extract(text, &settings(params)) {
        Ok(x) => x.policies,
        Err(e) => panic!("extract: {e}"),
    }
}

fn error(text: &str, params: &[(&str, &str)]) -> String {
    match template::extract(text, &settings(params)) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

fn find<'a>(ex: &'a [Extracted], resource: &str, policy: &str) -> &'a Extracted {
    ex.iter()
        .find(|e| e.resource == resource && e.policy_name == policy)
        .unwrap_or_else(|| {
            let names: Vec<String> = ex
                .iter()
                .map(|e| format!("{}.{}", e.resource, e.policy_name))
                .collect();
            panic!("no {resource}.{policy}; found {names:?}")
        })
}

fn doc(e: &Extracted) -> Value {
    match &e.policy {
        Ok(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        Err(why) => panic!("{}.{} not checkable: {why}", e.resource, e.policy_name),
    }
}

fn statements(e: &Extracted) -> Value {
    doc(e)["Statement"].clone()
}

fn parsed(e: &Extracted) -> policy::Policy {
    let text = e.policy.clone().unwrap_or_default();
    policy::parse(&text, e.kind.policy_type()).unwrap_or_else(|err| panic!("{err}"))
}

/// The public-access verdict (with the type the template implies).
fn public(e: &Extracted) -> Verdict {
    let Kind::Resource {
        public_type: Some(t),
    } = &e.kind
    else {
        panic!("{}.{} has no public-access type", e.resource, e.policy_name)
    };
    let r = hornbeam::run(
        &hornbeam::Check::NoPublicAccess {
            policy: &parsed(e),
            resource_type: t,
        },
        &Options::default(),
    )
    .unwrap_or_else(|err| panic!("{err}"));
    assert!(r.inconclusive().is_none(), "{:?}", r.inconclusive());
    r.verdict()
}

/// Whether the policy grants one of the actions.
fn grants(e: &Extracted, actions: &[&str]) -> bool {
    let access = [Access {
        actions: actions.iter().map(|a| a.to_string()).collect(),
        resources: Vec::new(),
    }];
    let r = hornbeam::run(
        &hornbeam::Check::AccessNotGranted {
            policy: &parsed(e),
            access: &access,
        },
        &Options::default(),
    )
    .unwrap_or_else(|err| panic!("{err}"));
    assert!(r.inconclusive().is_none(), "{:?}", r.inconclusive());
    r.verdict() == Verdict::Fail
}

fn new_access(e: &Extracted, reference: &str, t: PolicyType) -> bool {
    let reference = policy::parse(reference, t).unwrap_or_else(|err| panic!("{err}"));
    let r = hornbeam::run(
        &hornbeam::Check::NoNewAccess {
            new: &parsed(e),
            existing: &reference,
        },
        &Options::default(),
    )
    .unwrap_or_else(|err| panic!("{err}"));
    r.verdict() == Verdict::Fail
}

const IDENTITY_TEMPLATE: &str = r#"
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      Path: /service/
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { Service: lambda.amazonaws.com }
            Action: sts:AssumeRole
      Policies:
        - PolicyName: logs
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: [logs:CreateLogStream, logs:PutLogEvents]
                Resource: !Sub arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/app/*
  StandalonePolicy:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: standalone
      Roles: [!Ref AppRole]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: iam:PassRole
            Resource: !GetAtt AppRole.Arn
  Managed:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      ManagedPolicyName: managed-read
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: s3:GetObject
            Resource: "*"
  RoleInline:
    Type: AWS::IAM::RolePolicy
    Properties:
      RoleName: !Ref AppRole
      PolicyName: role-inline
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - { Effect: Allow, Action: sqs:SendMessage, Resource: "*" }
  Operator:
    Type: AWS::IAM::User
    Properties:
      Policies:
        - PolicyName: user-inline
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - { Effect: Allow, Action: "ec2:Describe*", Resource: "*" }
  OperatorPolicy:
    Type: AWS::IAM::UserPolicy
    Properties:
      UserName: !Ref Operator
      PolicyName: user-policy
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - { Effect: Allow, Action: iam:CreateAccessKey, Resource: !GetAtt Operator.Arn }
  Admins:
    Type: AWS::IAM::Group
    Properties:
      Policies:
        - PolicyName: group-inline
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - { Effect: Allow, Action: "*", Resource: "*" }
  AdminsPolicy:
    Type: AWS::IAM::GroupPolicy
    Properties:
      GroupName: !Ref Admins
      PolicyName: group-policy
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - { Effect: Deny, Action: "organizations:*", Resource: "*" }
  ReadOnlySet:
    Type: AWS::SSO::PermissionSet
    Properties:
      InstanceArn: arn:aws:sso:::instance/ssoins-1111111111111111
      Name: read-only
      InlinePolicy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:LookupEvents","Resource":"*"}]}'
"#;

#[test]
fn every_identity_policy_type_is_extracted() {
    let ex = extract(IDENTITY_TEMPLATE, &[]);
    assert_eq!(
        ex.len(),
        10,
        "{:?}",
        ex.iter().map(|e| &e.policy_name).collect::<Vec<_>>()
    );
    let trust = find(&ex, "AppRole", "TrustPolicy");
    assert_eq!(
        trust.kind,
        Kind::Resource {
            public_type: Some("AWS::IAM::AssumeRolePolicyDocument")
        }
    );
    assert_eq!(trust.line, 9);
    assert_eq!(public(trust), Verdict::Pass);
    let logs = find(&ex, "AppRole", "logs");
    assert_eq!(
        statements(logs)[0]["Resource"],
        json!("arn:aws:logs:us-east-1:123456789012:log-group:/app/*")
    );
    let standalone = find(&ex, "StandalonePolicy", "standalone");
    assert_eq!(
        statements(standalone)[0]["Resource"],
        json!("arn:aws:iam::123456789012:role/service/hornbeam-stack-AppRole")
    );
    assert!(grants(standalone, &["iam:PassRole"]));
    assert!(!grants(logs, &["iam:PassRole"]));
    assert_eq!(
        statements(find(&ex, "Managed", "managed-read"))[0]["Action"],
        json!("s3:GetObject")
    );
    assert!(grants(
        find(&ex, "RoleInline", "role-inline"),
        &["sqs:SendMessage"]
    ));
    assert!(grants(
        find(&ex, "Operator", "user-inline"),
        &["ec2:DescribeInstances"]
    ));
    let user_policy = find(&ex, "OperatorPolicy", "user-policy");
    assert_eq!(
        statements(user_policy)[0]["Resource"],
        json!("arn:aws:iam::123456789012:user/hornbeam-stack-Operator")
    );
    assert!(grants(
        find(&ex, "Admins", "group-inline"),
        &["iam:CreateUser"]
    ));
    assert!(!grants(
        find(&ex, "AdminsPolicy", "group-policy"),
        &["organizations:LeaveOrganization"]
    ));
    let sso = find(&ex, "ReadOnlySet", "InlinePolicy");
    assert_eq!(sso.kind, Kind::Identity);
    assert_eq!(
        statements(sso)[0]["Action"],
        json!("cloudtrail:LookupEvents")
    );
    // Identity policies compared with an identity reference.
    let reference = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","sqs:SendMessage"],"Resource":"*"}]}"#;
    assert!(!new_access(
        find(&ex, "Managed", "managed-read"),
        reference,
        PolicyType::Identity
    ));
    assert!(new_access(
        find(&ex, "Admins", "group-inline"),
        reference,
        PolicyType::Identity
    ));
}

const RESOURCE_TEMPLATE: &str = r#"
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties: { BucketName: example-data }
  BucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Bucket
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: "*"
            Action: s3:GetObject
            Resource: !Sub "${Bucket.Arn}/public/*"
  Queue:
    Type: AWS::SQS::Queue
    Properties: { QueueName: jobs }
  QueuePolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Queue]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { AWS: !Ref "AWS::AccountId" }
            Action: sqs:SendMessage
            Resource: !GetAtt Queue.Arn
  Topic:
    Type: AWS::SNS::Topic
  TopicPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref Topic]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: "*"
            Action: sns:Publish
            Resource: !Ref Topic
            Condition:
              StringEquals: { "aws:SourceOwner": !Ref "AWS::AccountId" }
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root" }
            Action: kms:*
            Resource: "*"
  Secret:
    Type: AWS::SecretsManager::Secret
    Properties: { Name: db-password }
  SecretPolicy:
    Type: AWS::SecretsManager::ResourcePolicy
    Properties:
      SecretId: !Ref Secret
      ResourcePolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { AWS: "arn:aws:iam::444455556666:role/reader" }
            Action: secretsmanager:GetSecretValue
            Resource: !Ref Secret
  Function:
    Type: AWS::Lambda::Function
    Properties: { FunctionName: thumbnailer }
  InvokeFromBucket:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !GetAtt Function.Arn
      Principal: s3.amazonaws.com
      SourceAccount: !Ref AWS::AccountId
      SourceArn: !GetAtt Bucket.Arn
  PublicUrl:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunctionUrl
      FunctionName: !Ref Function
      Principal: "*"
      FunctionUrlAuthType: NONE
  AccessPoint:
    Type: AWS::S3::AccessPoint
    Properties:
      Bucket: !Ref Bucket
      Name: reports
      Policy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { AWS: !Sub "arn:aws:iam::${AWS::AccountId}:role/reporter" }
            Action: s3:GetObject
            Resource: !Sub "arn:aws:s3:${AWS::Region}:${AWS::AccountId}:accesspoint/reports/object/*"
  FileSystem:
    Type: AWS::EFS::FileSystem
    Properties:
      FileSystemPolicy:
        Version: "2012-10-17"
        Statement:
          - { Effect: Allow, Principal: { AWS: "*" }, Action: "elasticfilesystem:ClientMount", Resource: "*" }
  Search:
    Type: AWS::OpenSearchService::Domain
    Properties:
      AccessPolicies:
        Version: "2012-10-17"
        Statement:
          - { Effect: Allow, Principal: { AWS: !Ref AWS::AccountId }, Action: "es:ESHttp*", Resource: "*" }
  Vault:
    Type: AWS::Backup::BackupVault
    Properties:
      BackupVaultName: vault
      AccessPolicy:
        Version: "2012-10-17"
        Statement:
          - { Effect: Deny, Principal: "*", Action: "backup:DeleteRecoveryPoint", Resource: "*" }
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: api
      Policy:
        Version: "2012-10-17"
        Statement:
          - { Effect: Allow, Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*" }
          - Effect: Deny
            Principal: "*"
            Action: "execute-api:Invoke"
            NotResource: "execute-api:/prod/GET/*"
  Artifacts:
    Type: AWS::CodeArtifact::Domain
    Properties:
      DomainName: artifacts
      PermissionsPolicyDocument:
        Version: "2012-10-17"
        Statement:
          - { Effect: Allow, Principal: { AWS: !Ref AWS::AccountId }, Action: "codeartifact:*", Resource: "*" }
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: orders
      ResourcePolicy:
        PolicyDocument:
          Version: "2012-10-17"
          Statement:
            - { Effect: Allow, Principal: { AWS: "arn:aws:iam::444455556666:root" }, Action: "dynamodb:GetItem", Resource: "*" }
  StreamPolicy:
    Type: AWS::Kinesis::ResourcePolicy
    Properties:
      ResourceArn: !Sub "arn:aws:kinesis:${AWS::Region}:${AWS::AccountId}:stream/clicks"
      ResourcePolicy:
        Version: "2012-10-17"
        Statement:
          - { Effect: Allow, Principal: "*", Action: "kinesis:GetRecords", Resource: "*" }
  Repository:
    Type: AWS::ECR::Repository
    Properties:
      RepositoryPolicyText:
        Version: "2012-10-17"
        Statement:
          - { Effect: Allow, Principal: "*", Action: "ecr:BatchGetImage" }
"#;

#[test]
fn every_resource_policy_type_is_extracted_with_its_public_type() {
    let ex = extract(RESOURCE_TEMPLATE, &[]);
    let want = [
        (
            "BucketPolicy",
            "BucketPolicy",
            Some("AWS::S3::Bucket"),
            Verdict::Fail,
        ),
        (
            "QueuePolicy",
            "QueuePolicy",
            Some("AWS::SQS::Queue"),
            Verdict::Pass,
        ),
        (
            "TopicPolicy",
            "TopicPolicy",
            Some("AWS::SNS::Topic"),
            Verdict::Pass,
        ),
        ("Key", "KeyPolicy", Some("AWS::KMS::Key"), Verdict::Pass),
        (
            "SecretPolicy",
            "ResourcePolicy",
            Some("AWS::SecretsManager::Secret"),
            Verdict::Pass,
        ),
        (
            "InvokeFromBucket",
            "LambdaPermission",
            Some("AWS::Lambda::Function"),
            Verdict::Pass,
        ),
        (
            "PublicUrl",
            "LambdaPermission",
            Some("AWS::Lambda::Function"),
            Verdict::Fail,
        ),
        (
            "AccessPoint",
            "AccessPointPolicy",
            Some("AWS::S3::AccessPoint"),
            Verdict::Pass,
        ),
        (
            "FileSystem",
            "FileSystemPolicy",
            Some("AWS::EFS::FileSystem"),
            Verdict::Fail,
        ),
        (
            "Search",
            "AccessPolicies",
            Some("AWS::OpenSearchService::Domain"),
            Verdict::Pass,
        ),
        (
            "Vault",
            "AccessPolicy",
            Some("AWS::Backup::BackupVault"),
            Verdict::Pass,
        ),
        (
            "Api",
            "Policy",
            Some("AWS::ApiGateway::RestApi"),
            Verdict::Fail,
        ),
        (
            "Artifacts",
            "PermissionsPolicy",
            Some("AWS::CodeArtifact::Domain"),
            Verdict::Pass,
        ),
        (
            "Table",
            "ResourcePolicy",
            Some("AWS::DynamoDB::Table"),
            Verdict::Pass,
        ),
        (
            "StreamPolicy",
            "ResourcePolicy",
            Some("AWS::Kinesis::Stream"),
            Verdict::Fail,
        ),
    ];
    for (res, pol, ty, verdict) in want {
        let e = find(&ex, res, pol);
        assert_eq!(e.kind, Kind::Resource { public_type: ty }, "{res}");
        assert_eq!(public(e), verdict, "{res}.{pol}: {:?}", e.policy);
    }
    let repo = find(&ex, "Repository", "RepositoryPolicy");
    assert_eq!(repo.kind, Kind::Resource { public_type: None });
    assert_eq!(ex.len(), want.len() + 1);
    // Extracted texts: resolved ARNs of each type.
    let s = statements(find(&ex, "BucketPolicy", "BucketPolicy"));
    assert_eq!(
        s[0]["Resource"],
        json!("arn:aws:s3:::example-data/public/*")
    );
    let s = statements(find(&ex, "QueuePolicy", "QueuePolicy"));
    assert_eq!(
        s[0]["Resource"],
        json!("arn:aws:sqs:us-east-1:123456789012:jobs")
    );
    assert_eq!(s[0]["Principal"], json!({"AWS": "123456789012"}));
    let s = statements(find(&ex, "TopicPolicy", "TopicPolicy"));
    assert_eq!(
        s[0]["Resource"],
        json!("arn:aws:sns:us-east-1:123456789012:hornbeam-stack-Topic")
    );
    let s = statements(find(&ex, "SecretPolicy", "ResourcePolicy"));
    assert_eq!(
        s[0]["Resource"],
        json!("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-password-AbCdEf")
    );
    assert_eq!(
        doc(find(&ex, "InvokeFromBucket", "LambdaPermission")),
        json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:thumbnailer",
            "Condition": {
                "ArnLike": {"aws:SourceArn": "arn:aws:s3:::example-data"},
                "StringEquals": {"aws:SourceAccount": "123456789012"}
            }
        }]})
    );
    // API Gateway's `execute-api:/` shorthand becomes the API's ARN, as API Gateway does.
    let s = statements(find(&ex, "Api", "Policy"));
    let api = "arn:aws:execute-api:us-east-1:123456789012:";
    let (r, nr) = (
        s[0]["Resource"].as_str().unwrap_or_default(),
        s[1]["NotResource"].as_str().unwrap_or_default(),
    );
    assert!(
        r.starts_with(api) && r.ends_with("/*") && !r.contains("execute-api:/"),
        "{r}"
    );
    assert!(
        nr.starts_with(api)
            && nr.ends_with("/prod/GET/*")
            && nr[api.len()..].len() == r[api.len()..].len() + 9,
        "{nr}"
    );
    let s = statements(find(&ex, "PublicUrl", "LambdaPermission"));
    assert_eq!(
        s[0]["Resource"],
        json!("arn:aws:lambda:us-east-1:123456789012:function:thumbnailer")
    );
    assert_eq!(
        s[0]["Condition"],
        json!({"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}})
    );
}

const INTRINSICS: &str = r#"
Parameters:
  Env: { Type: String, Default: dev, AllowedValues: [dev, prod] }
  Buckets: { Type: CommaDelimitedList, Default: "alpha,beta,gamma" }
  Team: { Type: String }
Mappings:
  Accounts:
    dev: { Audit: "111122223333" }
    prod: { Audit: "444455556666" }
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  ProdOrEu: !Or [!Condition IsProd, !Equals [!Ref "AWS::Region", eu-west-1]]
  DevInUs: !And [!Condition IsDev, !Equals [!Select [0, !Split ["-", !Ref "AWS::Region"]], us]]
Resources:
  Data:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Join ["-", [data, !Ref Env, !Select [1, !Ref Buckets]]]
  Worker:
    Type: AWS::IAM::Role
    Properties:
      RoleName: worker
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              AWS: !Sub
                - "arn:${AWS::Partition}:iam::${Audit}:root"
                - Audit: !FindInMap [Accounts, !Ref Env, Audit]
            Action: sts:AssumeRole
      Policies:
        - PolicyName: data
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: !Join ["", [!GetAtt [Data, Arn], "/", !Sub "home/${!aws:username}/*"]]
              - !If
                - IsProd
                - Effect: Allow
                  Action: s3:PutObject
                  Resource: !Sub "${Data.Arn}/*"
                - !Ref AWS::NoValue
              - Effect: !If [DevInUs, Allow, Deny]
                Action: s3:DeleteObject
                Resource: !Sub
                  - "${Arn}/scratch/*"
                  - { Arn: !GetAtt Data.Arn }
              - Effect: Allow
                Action: !If [ProdOrEu, "s3:ListBucket", "s3:ListBucketVersions"]
                Resource: !Sub ["arn:aws:s3:::${Az}-cache/*", { Az: !Select [0, !GetAZs ""] }]
              - Effect: Allow
                Action: s3:GetObjectTagging
                Resource: !Sub "arn:aws:s3:::${Team}-shared/*"
              - Effect: Allow
                Action: s3:GetObjectAcl
                Resource: !ImportValue shared-bucket-arn
"#;

#[test]
fn intrinsic_functions_resolve() {
    let ex = extract(INTRINSICS, &[]);
    let trust = find(&ex, "Worker", "TrustPolicy");
    assert_eq!(
        statements(trust)[0]["Principal"],
        json!({"AWS": "arn:aws:iam::111122223333:root"})
    );
    let data = find(&ex, "Worker", "data");
    assert_eq!(
        statements(data),
        json!([
            {"Effect": "Allow", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::data-dev-beta/home/${aws:username}/*"},
            {"Effect": "Allow", "Action": "s3:DeleteObject",
             "Resource": "arn:aws:s3:::data-dev-beta/scratch/*"},
            {"Effect": "Allow", "Action": "s3:ListBucketVersions", "Resource": "arn:aws:s3:::us-east-1a-cache/*"},
            {"Effect": "Allow", "Action": "s3:GetObjectTagging", "Resource": "arn:aws:s3:::*-shared/*"},
            {"Effect": "Allow", "Action": "s3:GetObjectAcl", "Resource": "*"}
        ])
    );
    assert_eq!(data.notes.len(), 2, "{:?}", data.notes);
    assert!(
        data.notes[0].contains("parameter `Team` has no value"),
        "{:?}",
        data.notes
    );
    assert!(
        data.notes[1].contains("Fn::ImportValue shared-bucket-arn"),
        "{:?}",
        data.notes
    );
    assert!(!grants(data, &["s3:PutObject"]));
    // Parameters change the branches, the mapping and the generated names.
    let ex = extract(
        INTRINSICS,
        &[("Env", "prod"), ("Team", "blue"), ("Buckets", "x,y")],
    );
    let trust = find(&ex, "Worker", "TrustPolicy");
    assert_eq!(
        statements(trust)[0]["Principal"],
        json!({"AWS": "arn:aws:iam::444455556666:root"})
    );
    let data = find(&ex, "Worker", "data");
    let s = statements(data);
    assert_eq!(
        s[1],
        json!({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::data-prod-y/*"})
    );
    assert_eq!(s[2]["Effect"], json!("Deny"));
    assert_eq!(s[3]["Action"], json!("s3:ListBucket"));
    assert_eq!(s[4]["Resource"], json!("arn:aws:s3:::blue-shared/*"));
    assert!(grants(data, &["s3:PutObject"]));
    assert_eq!(data.notes.len(), 1);
}

#[test]
fn json_templates_and_long_forms_resolve_the_same() {
    let text = r#"{
  "Parameters": {"Prefix": {"Type": "String", "Default": "app"}},
  "Resources": {
    "Role": {
      "Type": "AWS::IAM::Role",
      "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
          {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "Policies": [{
          "PolicyName": {"Fn::Sub": "${Prefix}-policy"},
          "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "ssm:GetParameter",
            "Resource": {"Fn::Join": [":", ["arn", {"Ref": "AWS::Partition"}, "ssm", {"Ref": "AWS::Region"},
              {"Ref": "AWS::AccountId"}, {"Fn::Sub": ["parameter/${P}/*", {"P": {"Ref": "Prefix"}}]}]]}
          }]}
        }]
      }
    }
  }
}"#;
    let x = template::extract(text, &Settings::default()).unwrap_or_else(|e| panic!("{e}"));
    let (format, ex) = (x.format, x.policies);
    assert_eq!(format, Format::CloudFormation);
    let p = find(&ex, "Role", "app-policy");
    assert_eq!(
        statements(p)[0]["Resource"],
        json!("arn:aws:ssm:us-east-1:123456789012:parameter/app/*")
    );
    assert_eq!(p.line, 11);
}

#[test]
fn fn_if_in_a_trust_policy_on_an_unknown_parameter_is_checked_both_ways() {
    let text = r#"
Parameters:
  AllowPartner: { Type: String, AllowedValues: ["yes", "no"] }
Conditions:
  Partner: !Equals [!Ref AllowPartner, "yes"]
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              AWS: !If [Partner, "arn:aws:iam::444455556666:root", !Ref "AWS::AccountId"]
            Action: sts:AssumeRole
"#;
    let ex = extract(text, &[]);
    assert_eq!(ex.len(), 2);
    let mut seen = Vec::new();
    for e in &ex {
        assert_eq!(e.policy_name, "TrustPolicy");
        let principal = statements(e)[0]["Principal"]["AWS"].clone();
        seen.push((e.assumptions.clone(), principal));
        assert_eq!(public(e), Verdict::Pass);
    }
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        seen,
        vec![
            (vec![("Partner".to_string(), false)], json!("123456789012")),
            (
                vec![("Partner".to_string(), true)],
                json!("arn:aws:iam::444455556666:root")
            ),
        ]
    );
    // A known parameter decides the condition: one policy, no assumptions.
    let ex = extract(text, &[("AllowPartner", "no")]);
    assert_eq!(ex.len(), 1);
    assert!(ex[0].assumptions.is_empty());
}

#[test]
fn resources_whose_condition_is_false_are_not_deployed() {
    let text = r#"
Parameters:
  Env: { Type: String, Default: dev }
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  ProdOnly:
    Type: AWS::IAM::ManagedPolicy
    Condition: IsProd
    Properties:
      PolicyDocument: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "*", Resource: "*" }] }
"#;
    assert!(extract(text, &[]).is_empty());
    assert_eq!(extract(text, &[("Env", "prod")]).len(), 1);
}

/// Sound over-approximation: for every concrete value of an unknown, if the concrete
/// policy grants the access, so does the policy checked with the unknown.
#[test]
fn unknown_values_never_hide_access_a_concrete_value_would_grant() {
    let text = r#"
Parameters:
  Value: { Type: String }
Resources:
  P:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - { Effect: Allow, Action: "s3:*", Resource: !Sub "arn:aws:s3:::${Value}/*" }
          - { Effect: Deny, Action: "s3:DeleteObject", Resource: !Sub "arn:aws:s3:::${Value}/*" }
          - { Effect: Deny, Action: !Sub "s3:${Value}", Resource: "*" }
          - Effect: Allow
            Action: "iam:PassRole"
            Resource: "*"
            Condition: { StringEquals: { "iam:PassedToService": !Ref Value } }
          - { Effect: Allow, NotAction: !Sub "ec2:${Value}", Resource: !Sub "arn:aws:ec2:*:*:${Value}" }
"#;
    let unknown = &extract(text, &[])[0];
    let access = [
        "s3:DeleteObject",
        "s3:GetObject",
        "iam:PassRole",
        "ec2:RunInstances",
        "sqs:SendMessage",
    ];
    let values = [
        "data",
        "*",
        "PutObject",
        "Delete*",
        "lambda.amazonaws.com",
        "instance/i-1",
    ];
    for action in access {
        let with_unknown = grants(unknown, &[action]);
        for v in values {
            let concrete = &extract(text, &[("Value", v)])[0];
            if grants(concrete, &[action]) {
                assert!(
                    with_unknown,
                    "{action} granted with Value={v} but not with the unknown"
                );
            }
        }
    }
}

#[test]
fn template_errors_name_the_place() {
    // (template, --parameters, what the error must say)
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        ("Resources:\n  A: [1,\n", &[], "invalid YAML"),
        (
            "Resources:\n  A:\n    Type: X\n  A:\n    Type: Y\n",
            &[],
            "line 4",
        ),
        (
            "Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument: !Ref Nowhere\n",
            &[],
            "Resources/P/Properties/PolicyDocument/Ref (line 5): `Ref Nowhere`: no parameter",
        ),
        (
            "Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Statement:\n          - Resource: !Sub 'arn:aws:s3:::b/${aws:username}'\n",
            &[],
            "an IAM policy variable is written `${!aws:username}`",
        ),
        (
            "Resources: {}\n",
            &[("Nope", "1")],
            "--parameters `Nope`: the template has no parameter",
        ),
        (
            "Parameters:\n  Env: { Type: String, AllowedValues: [dev, prod] }\nResources: {}\n",
            &[("Env", "staging")],
            "--parameters `Env=staging`: `staging` is not one of the parameter's AllowedValues `dev`, `prod`",
        ),
        ("Description: no resources\n", &[], "no `Resources` section"),
        (
            "Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument: !Select [5, [a]]\n",
            &[],
            "past the end",
        ),
        ("A: !Bogus x\n", &[], "unknown tag `!Bogus`"),
        (
            "Resources:\n  A:\n    Type: AWS::S3::Bucket\n    Properties: { BucketName: !Ref B }\n  B:\n    Type: AWS::S3::Bucket\n    Properties: { BucketName: !Ref A }\n  P:\n    Type: AWS::S3::BucketPolicy\n    Properties:\n      PolicyDocument: { Statement: [{ Resource: !GetAtt A.Arn }] }\n",
            &[],
            "refers to itself",
        ),
    ];
    for (text, params, want) in cases {
        let e = error(text, params);
        assert!(e.contains(want), "{text:?}: {e}");
    }
}

#[test]
fn a_terraform_plan_with_child_modules() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/templates/plan.json"
    ))
    .unwrap_or_default();
    let x = template::extract(&text, &Settings::default()).unwrap_or_else(|e| panic!("{e}"));
    let (format, ex) = (x.format, x.policies);
    assert_eq!(format, Format::TerraformPlan);
    let names: Vec<String> = ex
        .iter()
        .map(|e| format!("{}.{}", e.resource, e.policy_name))
        .collect();
    assert_eq!(
        names,
        [
            "aws_iam_role.deployer.TrustPolicy",
            "aws_iam_role.deployer.deploy",
            "aws_iam_policy.passrole.deployer-passrole",
            "aws_lambda_permission.from_bucket.LambdaPermission",
            "module.storage.aws_s3_bucket_policy.this.BucketPolicy",
            "module.storage.aws_sqs_queue_policy.events.QueuePolicy",
            "module.storage.module.keys.aws_kms_key.this.KeyPolicy",
        ]
    );
    let trust = &ex[0];
    assert_eq!(public(trust), Verdict::Pass);
    assert_eq!(
        statements(trust)[0]["Action"],
        json!("sts:AssumeRoleWithWebIdentity")
    );
    assert!(grants(&ex[1], &["cloudformation:CreateStack"]));
    assert!(grants(&ex[2], &["iam:PassRole"]));
    let lambda = &ex[3];
    assert_eq!(
        doc(lambda),
        json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:thumbnailer",
            "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}
        }]})
    );
    assert!(
        lambda.notes[0].contains("source_arn` is computed at apply time"),
        "{:?}",
        lambda.notes
    );
    assert_eq!(public(lambda), Verdict::Pass);
    let bucket = &ex[4];
    assert_eq!(
        bucket.kind,
        Kind::Resource {
            public_type: Some("AWS::S3::Bucket")
        }
    );
    assert_eq!(public(bucket), Verdict::Fail);
    let queue = &ex[5];
    assert!(
        queue
            .policy
            .as_ref()
            .is_err_and(|why| why.contains("computed at apply time"))
    );
    assert_eq!(public(&ex[6]), Verdict::Pass);
    assert_eq!(
        ex[6].line,
        text.lines()
            .position(|l| l.contains("\"description\": \"assets key\""))
            .map(|i| i + 2)
            .unwrap_or(0)
    );
}

#[test]
fn the_other_resource_policy_types_of_the_public_access_check() {
    let statement = |action: &str| {
        format!(
            " {{ Version: '2012-10-17', Statement: [{{ Effect: Allow, Principal: '*', Action: '{action}', Resource: '*' }}] }}"
        )
    };
    let text = format!(
        r#"
Resources:
  Directory:
    Type: AWS::S3Express::BucketPolicy
    Properties:
      Bucket: fast--use1-az4--x-s3
      PolicyDocument:{}
  ExpressPoint:
    Type: AWS::S3Express::AccessPoint
    Properties:
      Policy:{}
  TableBucket:
    Type: AWS::S3Tables::TableBucketPolicy
    Properties:
      ResourcePolicy:{}
  Table:
    Type: AWS::S3Tables::TablePolicy
    Properties:
      ResourcePolicy:{}
  Outpost:
    Type: AWS::S3Outposts::BucketPolicy
    Properties:
      PolicyDocument:{}
  OutpostPoint:
    Type: AWS::S3Outposts::AccessPoint
    Properties:
      Policy:{}
  Store:
    Type: AWS::CloudTrail::ResourcePolicy
    Properties:
      ResourceArn: !Sub "arn:aws:cloudtrail:${{AWS::Region}}:${{AWS::AccountId}}:eventdatastore/abc"
      ResourcePolicy:{}
  Consumer:
    Type: AWS::Kinesis::ResourcePolicy
    Properties:
      ResourceArn: "arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1"
      ResourcePolicy:{}
  Table2:
    Type: AWS::DynamoDB::Table
    Properties:
      StreamSpecification:
        StreamViewType: NEW_IMAGE
        ResourcePolicy:
          PolicyDocument:{}
  Legacy:
    Type: AWS::Elasticsearch::Domain
    Properties:
      AccessPolicies:{}
  Packages:
    Type: AWS::CodeArtifact::Repository
    Properties:
      PermissionsPolicyDocument:{}
"#,
        statement("s3express:CreateSession"),
        statement("s3express:CreateSession"),
        statement("s3tables:GetTable"),
        statement("s3tables:GetTableData"),
        statement("s3-outposts:GetObject"),
        statement("s3-outposts:GetObject"),
        statement("cloudtrail:StartQuery"),
        statement("kinesis:SubscribeToShard"),
        statement("dynamodb:GetRecords"),
        statement("es:ESHttpGet"),
        statement("codeartifact:ReadFromRepository"),
    );
    let ex = extract(&text, &[]);
    let want = [
        ("Directory", "AWS::S3Express::DirectoryBucket"),
        ("ExpressPoint", "AWS::S3Express::AccessPoint"),
        ("TableBucket", "AWS::S3Tables::TableBucket"),
        ("Table", "AWS::S3Tables::Table"),
        ("Outpost", "AWS::S3Outposts::Bucket"),
        ("OutpostPoint", "AWS::S3Outposts::AccessPoint"),
        ("Store", "AWS::CloudTrail::EventDataStore"),
        ("Consumer", "AWS::Kinesis::StreamConsumer"),
        ("Table2", "AWS::DynamoDB::Stream"),
        ("Legacy", "AWS::OpenSearchService::Domain"),
    ];
    for (res, ty) in want {
        let e = ex
            .iter()
            .find(|e| e.resource == res)
            .unwrap_or_else(|| panic!("{res} missing"));
        assert_eq!(
            e.kind,
            Kind::Resource {
                public_type: Some(ty)
            },
            "{res}"
        );
        assert_eq!(public(e), Verdict::Fail, "{res}");
    }
    let packages = find(&ex, "Packages", "PermissionsPolicy");
    assert_eq!(packages.kind, Kind::Resource { public_type: None });
    assert_eq!(ex.len(), want.len() + 1);
}

#[test]
fn terraform_identity_and_resource_policy_types() {
    let p = |action: &str, principal: bool| {
        let s = if principal {
            json!({"Effect": "Allow", "Principal": "*", "Action": action, "Resource": "*"})
        } else {
            json!({"Effect": "Allow", "Action": action, "Resource": "*"})
        };
        json!({"Version": "2012-10-17", "Statement": [s]}).to_string()
    };
    let resource = |ty: &str, name: &str, values: Value| json!({"address": format!("{ty}.{name}"), "mode": "managed", "type": ty, "name": name, "values": values});
    let plan = json!({
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "planned_values": {"root_module": {"resources": [
            resource("aws_iam_role_policy", "r", json!({"name": "role-inline", "policy": p("s3:GetObject", false)})),
            resource("aws_iam_user_policy", "u", json!({"name": "user-inline", "policy": p("iam:CreateAccessKey", false)})),
            resource("aws_iam_group_policy", "g", json!({"name": "group-inline", "policy": p("ec2:*", false)})),
            resource("aws_ssoadmin_permission_set_inline_policy", "sso", json!({"inline_policy": p("iam:PassRole", false)})),
            resource("aws_sns_topic_policy", "t", json!({"arn": "arn:aws:sns:us-east-1:123456789012:t", "policy": p("sns:Publish", true)})),
            resource("aws_secretsmanager_secret_policy", "s", json!({"policy": p("secretsmanager:GetSecretValue", true)})),
            resource("aws_sqs_queue", "q", json!({"name": "q", "policy": ""})),
            resource("aws_ecr_repository_policy", "e", json!({"policy": p("ecr:BatchGetImage", true)})),
            resource("aws_glacier_vault", "v", json!({"access_policy": p("glacier:InitiateJob", true)})),
        ]}}
    })
    .to_string();
    let x = template::extract(&plan, &Settings::default()).unwrap_or_else(|e| panic!("{e}"));
    let (format, ex) = (x.format, x.policies);
    assert_eq!(format, Format::TerraformPlan);
    let names: Vec<String> = ex
        .iter()
        .map(|e| format!("{}.{}", e.resource, e.policy_name))
        .collect();
    assert_eq!(
        names,
        [
            "aws_iam_role_policy.r.role-inline",
            "aws_iam_user_policy.u.user-inline",
            "aws_iam_group_policy.g.group-inline",
            "aws_ssoadmin_permission_set_inline_policy.sso.InlinePolicy",
            "aws_sns_topic_policy.t.TopicPolicy",
            "aws_secretsmanager_secret_policy.s.ResourcePolicy",
            "aws_ecr_repository_policy.e.RepositoryPolicy",
            "aws_glacier_vault.v.AccessPolicy",
        ]
    );
    assert!(grants(&ex[1], &["iam:CreateAccessKey"]));
    assert!(!grants(&ex[0], &["iam:CreateAccessKey"]));
    assert!(grants(&ex[3], &["iam:PassRole"]));
    assert_eq!(ex[3].kind, Kind::Identity);
    assert_eq!(public(&ex[4]), Verdict::Fail);
    assert_eq!(public(&ex[5]), Verdict::Fail);
    assert_eq!(ex[6].kind, Kind::Resource { public_type: None });
    assert_eq!(
        ex[7].kind,
        Kind::Resource {
            public_type: Some("AWS::S3::Glacier")
        }
    );
}

/// A macro hornbeam does not run is a gap; SAM is expanded (issue 29), so the same
/// function under SAM yields its generated role's trust policy and principal.
#[test]
fn a_transform_is_a_gap_not_a_silent_pass() {
    let body = "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Policies: [AdministratorAccess]\n";
    let text = format!("Transform: AcmeMacro\n{body}");
    let x = template::extract(&text, &Settings::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(x.policies.is_empty());
    assert_eq!(x.gaps.len(), 1);
    assert_eq!(x.gaps[0].line, 1);
    assert!(x.gaps[0].why.contains("AcmeMacro"), "{:?}", x.gaps);
    let text = format!("Transform: AWS::Serverless-2016-10-31\n{body}");
    let x = template::extract(&text, &Settings::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(x.gaps.is_empty(), "{:?}", x.gaps);
    let names: Vec<String> = x
        .policies
        .iter()
        .map(|p| format!("{}.{}", p.resource, p.policy_name))
        .collect();
    assert_eq!(names, ["FnRole.TrustPolicy"]);
    assert_eq!(x.principals.len(), 1);
    assert_eq!(
        x.principals[0].managed,
        [
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            "arn:aws:iam::aws:policy/AdministratorAccess"
        ]
    );
}

/// Regression: inline policies after one that is `AWS::NoValue` kept the line of the
/// item before them.
#[test]
fn inline_policies_keep_their_lines_when_one_is_removed() {
    let text = r#"
Conditions:
  Never: !Equals [a, b]
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - !If
          - Never
          - PolicyName: gone
            PolicyDocument: { Statement: [{ Effect: Allow, Action: "*", Resource: "*" }] }
          - !Ref AWS::NoValue
        - PolicyName: kept
          PolicyDocument:
            Version: "2012-10-17"
            Statement: [{ Effect: Allow, Action: "s3:GetObject", Resource: "*" }]
"#;
    let ex = extract(text, &[]);
    assert_eq!(ex.len(), 1);
    let kept = find(&ex, "Role", "kept");
    assert_eq!(kept.line, 16);
}

/// Issue 15, bug d: the AWS provider marks an optional policy attribute the
/// configuration does not set (a bucket's `policy`) as unknown; that is no policy, not
/// a blocking "computed at apply time". A set but unknown value still blocks.
#[test]
fn an_unset_policy_attribute_the_provider_marks_unknown_holds_no_policy() {
    let bucket = |name: &str| {
        json!({"address": format!("module.site.aws_s3_bucket.{name}[0]"), "mode": "managed",
               "type": "aws_s3_bucket", "name": name, "index": 0, "values": {"bucket": name}})
    };
    let change = |name: &str| {
        json!({"address": format!("module.site.aws_s3_bucket.{name}[0]"),
               "change": {"after_unknown": {"policy": true, "arn": true}}})
    };
    let plan = json!({
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "planned_values": {"root_module": {"child_modules": [{"address": "module.site",
            "resources": [bucket("plain"), bucket("computed")]}]}},
        "resource_changes": [change("plain"), change("computed")],
        "configuration": {"root_module": {"module_calls": {"site": {"module": {"resources": [
            {"address": "aws_s3_bucket.plain", "type": "aws_s3_bucket", "name": "plain",
             "expressions": {"bucket": {"constant_value": "plain"}}},
            {"address": "aws_s3_bucket.computed", "type": "aws_s3_bucket", "name": "computed",
             "expressions": {"bucket": {"constant_value": "computed"},
                             "policy": {"references": ["data.aws_iam_policy_document.p.json"]}}}
        ]}}}}}
    })
    .to_string();
    let x = template::extract(&plan, &Settings::default()).unwrap_or_else(|e| panic!("{e}"));
    let found: Vec<(&str, bool)> = x
        .policies
        .iter()
        .map(|e| (e.resource.as_str(), e.policy.is_err()))
        .collect();
    assert_eq!(found, [("module.site.aws_s3_bucket.computed[0]", true)]);
    // Without a configuration section nothing says the attribute is unset: it blocks.
    let mut bare: Value = serde_json::from_str(&plan).unwrap();
    bare.as_object_mut().unwrap().remove("configuration");
    let x = template::extract(&bare.to_string(), &Settings::default()).unwrap();
    assert_eq!(x.policies.len(), 2);
}
