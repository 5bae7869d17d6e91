#!/usr/bin/env python3
"""Writes the authorization-details files of a made-up but realistic account
(111122223333) for tests/account.rs: the shape `aws iam get-account-authorization-details`
prints, with users, groups, roles (paths, a service-linked role), permissions boundaries,
AWS managed policies (some listed with their documents, some left to hornbeam's embedded
copy) and customer managed policies with several versions.

    python3 tests/data/account/generate.py

writes `approved.json` (the snapshot an auditor signed off) and `current.json` (the
account today: three changes that add access, one that removes some). Deterministic."""

import json
import os
import urllib.parse

ACCOUNT = "111122223333"
HERE = os.path.dirname(os.path.abspath(__file__))
DATE = "2026-11-02T09:00:00Z"


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*", **extra):
    s = {"Effect": "Allow", "Action": action, "Resource": resource}
    s.update(extra)
    return s


def deny(action, resource="*", **extra):
    s = {"Effect": "Deny", "Action": action, "Resource": resource}
    s.update(extra)
    return s


def trust(service):
    return doc({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})


def aws_arn(name, path="/"):
    return f"arn:aws:iam::aws:policy{path}{name}"


def local_arn(name, path="/"):
    return f"arn:aws:iam::{ACCOUNT}:policy{path}{name}"


ADMIN = aws_arn("AdministratorAccess")
READ_ONLY = aws_arn("ReadOnlyAccess")
POWER_USER = aws_arn("PowerUserAccess")
S3_READ = aws_arn("AmazonS3ReadOnlyAccess")
LAMBDA_BASIC = aws_arn("AWSLambdaBasicExecutionRole", "/service-role/")
SUPPORT_SLR = aws_arn("AWSSupportServiceRolePolicy", "/aws-service-role/")
SECURITY_AUDIT = aws_arn("SecurityAudit")

DEVELOPER = local_arn("DeveloperAccess", "/teams/")
CI_DEPLOYER = local_arn("CiDeployer")
BOUNDARY = local_arn("DeveloperBoundary", "/boundaries/")
READ_LOGS = local_arn("ReadLogs")
SECRETS = local_arn("ProdSecretsReader")
DATA_PIPELINE = local_arn("DataPipeline")


def developer_versions(grants_pass_role):
    v1 = doc(allow(["s3:*", "dynamodb:*"], ["arn:aws:s3:::dev-*", "arn:aws:dynamodb:*:111122223333:table/dev-*"]))
    v2 = doc(
        allow(["s3:*", "dynamodb:*", "lambda:*"],
              ["arn:aws:s3:::dev-*", "arn:aws:s3:::dev-*/*",
               "arn:aws:dynamodb:*:111122223333:table/dev-*",
               "arn:aws:lambda:*:111122223333:function:dev-*"]),
        allow(["logs:Get*", "logs:Describe*", "logs:FilterLogEvents"]),
    )
    versions = [("v1", v1), ("v2", v2)]
    if grants_pass_role:
        v3 = json.loads(json.dumps(v2))
        v3["Statement"].append(allow("iam:PassRole", "arn:aws:iam::111122223333:role/app/*"))
        versions.append(("v3", v3))
    return versions


def customer_policies(current):
    """Customer managed policies: (arn, name, path, versions [(id, doc)], default id)."""
    dev = developer_versions(current)
    out = [
        (DEVELOPER, "DeveloperAccess", "/teams/", dev, dev[-1][0]),
        (CI_DEPLOYER, "CiDeployer", "/", [("v1", doc(
            allow(["cloudformation:*", "s3:GetObject", "s3:PutObject"]),
            allow("iam:PassRole", "arn:aws:iam::111122223333:role/app/*",
                  Condition={"StringEquals": {"iam:PassedToService": ["lambda.amazonaws.com", "ecs-tasks.amazonaws.com"]}}),
        ))], "v1"),
        (BOUNDARY, "DeveloperBoundary", "/boundaries/", [("v1", doc(
            allow("*"),
            deny(["iam:*", "organizations:*", "account:*"]),
        ))], "v1"),
        (READ_LOGS, "ReadLogs", "/", [("v1", doc(allow(["logs:Get*", "logs:Describe*", "logs:StartQuery", "logs:GetQueryResults"])))], "v1"),
        (SECRETS, "ProdSecretsReader", "/", [("v1", doc(
            allow("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:*:{ACCOUNT}:secret:prod/*"),
            allow("kms:Decrypt", f"arn:aws:kms:*:{ACCOUNT}:key/*",
                  Condition={"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}}),
        ))], "v1"),
        (DATA_PIPELINE, "DataPipeline", "/", [
            ("v1", doc(allow(["glue:*", "s3:*"]), allow("iam:PassRole", "*"))),
            ("v2", doc(allow(["glue:*", "s3:*"]),
                       allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/app/glue-*",
                             Condition={"StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}}))),
        ], "v2"),
    ]
    return out


def policy_entry(arn, name, path, versions, default, attachments, encode):
    def document(d):
        text = json.dumps(d, separators=(",", ":"))
        return urllib.parse.quote(text, safe="") if encode else d
    return {
        "PolicyName": name,
        "PolicyId": "ANPA" + name.upper()[:16].ljust(16, "X"),
        "Arn": arn,
        "Path": path,
        "DefaultVersionId": default,
        "AttachmentCount": attachments,
        "PermissionsBoundaryUsageCount": 0,
        "IsAttachable": True,
        "CreateDate": DATE,
        "UpdateDate": DATE,
        "PolicyVersionList": [
            {"Document": document(d), "VersionId": vid, "IsDefaultVersion": vid == default, "CreateDate": DATE}
            for vid, d in versions
        ],
    }


def attached(*arns):
    return [{"PolicyName": a.rsplit("/", 1)[1], "PolicyArn": a} for a in arns]


def boundary(arn):
    return {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn}


def inline(name, d, encode=False):
    if encode:
        d = urllib.parse.quote(json.dumps(d, separators=(",", ":")), safe="")
    return {"PolicyName": name, "PolicyDocument": d}


def groups(current):
    return [
        {"Path": "/", "GroupName": "Admins", "GroupId": "AGPAADMINS", "Arn": f"arn:aws:iam::{ACCOUNT}:group/Admins",
         "CreateDate": DATE, "GroupPolicyList": [], "AttachedManagedPolicies": attached(ADMIN)},
        {"Path": "/teams/", "GroupName": "Developers", "GroupId": "AGPADEVELOPERS",
         "Arn": f"arn:aws:iam::{ACCOUNT}:group/teams/Developers", "CreateDate": DATE,
         "GroupPolicyList": [inline("ReadDevSecrets", doc(allow("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:*:{ACCOUNT}:secret:dev/*")))],
         "AttachedManagedPolicies": attached(DEVELOPER, S3_READ)},
        {"Path": "/", "GroupName": "Auditors", "GroupId": "AGPAAUDITORS", "Arn": f"arn:aws:iam::{ACCOUNT}:group/Auditors",
         "CreateDate": DATE, "GroupPolicyList": [], "AttachedManagedPolicies": attached(SECURITY_AUDIT, READ_LOGS)},
        {"Path": "/", "GroupName": "Operators", "GroupId": "AGPAOPERATORS", "Arn": f"arn:aws:iam::{ACCOUNT}:group/Operators",
         "CreateDate": DATE,
         "GroupPolicyList": [inline("NoIam", doc(deny(["iam:*", "organizations:*"])), encode=True)],
         "AttachedManagedPolicies": attached(POWER_USER)},
        {"Path": "/", "GroupName": "Everyone", "GroupId": "AGPAEVERYONE", "Arn": f"arn:aws:iam::{ACCOUNT}:group/Everyone",
         "CreateDate": DATE,
         "GroupPolicyList": [inline("SelfService", doc(allow(["iam:ChangePassword", "iam:GetUser", "iam:CreateAccessKey", "iam:ListAccessKeys"],
                                                            "arn:aws:iam::111122223333:user/${aws:username}")))],
         "AttachedManagedPolicies": []},
    ]


def user(name, groups=(), managed=(), inline_policies=(), bound=None, path="/"):
    u = {"Path": path, "UserName": name, "UserId": "AIDA" + name.upper().replace("-", "")[:16].ljust(16, "X"),
         "Arn": f"arn:aws:iam::{ACCOUNT}:user{path}{name}", "CreateDate": DATE,
         "UserPolicyList": list(inline_policies), "GroupList": list(groups),
         "AttachedManagedPolicies": attached(*managed), "Tags": []}
    if bound:
        u["PermissionsBoundary"] = boundary(bound)
    return u


def users(current):
    out = [
        user("alice", ["Admins", "Everyone"]),
        user("bruno", ["Admins", "Everyone"]),
        user("chen", ["Developers", "Everyone"], bound=BOUNDARY),
        user("dara", ["Developers", "Everyone"], bound=BOUNDARY),
        user("emeka", ["Developers", "Everyone"], bound=BOUNDARY,
             inline_policies=[inline("PassAnything", doc(allow("iam:PassRole")))]),
        user("fatima", ["Developers", "Everyone"]),
        user("goran", ["Auditors", "Everyone"]),
        user("hana", ["Auditors", "Everyone"]),
        user("ines", ["Operators", "Everyone"]),
        user("jonas", ["Operators", "Everyone"]),
        user("kofi", ["Everyone"], managed=[READ_ONLY]),
        user("lena", ["Everyone"], managed=[S3_READ],
             inline_policies=[inline("DenyDelete", doc(deny("s3:Delete*")), encode=True)]),
        user("mateo", ["Developers", "Everyone"], managed=[DATA_PIPELINE], bound=BOUNDARY),
        user("nadia", ["Everyone"], managed=[SECRETS]),
        user("omar", ["Everyone"], inline_policies=[inline("IamViaCfnOnly", doc(
            allow("iam:PassRole", "*", Condition={"ForAnyValue:StringEquals": {"aws:CalledVia": "cloudformation.amazonaws.com"}})))]),
        user("priya", ["Developers", "Everyone"], bound=BOUNDARY, path="/contractors/"),
        user("quinn", []),
        user("rosa", ["Auditors", "Everyone"], path="/audit/"),
        user("deploy-bot", [], managed=[CI_DEPLOYER], path="/automation/"),
        user("backup-bot", [], inline_policies=[inline("Backups", doc(
            allow(["s3:GetObject", "s3:ListBucket", "s3:PutObject"], ["arn:aws:s3:::backups", "arn:aws:s3:::backups/*"]),
            deny("s3:PutObject", "arn:aws:s3:::backups/*", Condition={"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}})))],
             path="/automation/"),
    ]
    if current:
        # Change: sam joins the admins.
        out.append(user("sam", ["Admins", "Everyone"]))
        # Change: kofi's ReadOnlyAccess is replaced by Auditors membership (less access).
        out[10] = user("kofi", ["Auditors", "Everyone"])
    return out


def role(name, trust_doc, managed=(), inline_policies=(), bound=None, path="/", slr=False):
    r = {"Path": path, "RoleName": name, "RoleId": "AROA" + name.upper().replace("-", "")[:16].ljust(16, "X"),
         "Arn": f"arn:aws:iam::{ACCOUNT}:role{path}{name}", "CreateDate": DATE,
         "AssumeRolePolicyDocument": trust_doc, "InstanceProfileList": [],
         "RolePolicyList": list(inline_policies), "AttachedManagedPolicies": attached(*managed),
         "Tags": [], "RoleLastUsed": {}}
    if bound:
        r["PermissionsBoundary"] = boundary(bound)
    return r


def roles(current):
    account_trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"})
    app = []
    for svc in ["orders", "payments", "catalog", "search", "shipping", "invoices", "notifications", "reports"]:
        app.append(role(f"{svc}-api", trust("lambda.amazonaws.com"), managed=[LAMBDA_BASIC], path="/app/",
                        inline_policies=[inline("Data", doc(
                            allow(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"],
                                  f"arn:aws:dynamodb:*:{ACCOUNT}:table/{svc}"),
                            allow(["sqs:SendMessage"], f"arn:aws:sqs:*:{ACCOUNT}:{svc}-events")))]))
    for job in ["etl", "compaction"]:
        app.append(role(f"glue-{job}", trust("glue.amazonaws.com"), managed=[S3_READ], path="/app/",
                        inline_policies=[inline("Write", doc(allow("s3:PutObject", f"arn:aws:s3:::lake/{job}/*")))]))
    out = app + [
        role("OrganizationAccountAccessRole", account_trust, managed=[ADMIN]),
        role("BreakGlass", account_trust, managed=[ADMIN], inline_policies=[inline("MfaOnly", doc(
            deny("*", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}})))]),
        role("ci-deployer", trust("codebuild.amazonaws.com"), managed=[CI_DEPLOYER, READ_LOGS], path="/automation/"),
        role("ci-readonly", trust("codebuild.amazonaws.com"), managed=[READ_ONLY], path="/automation/"),
        role("SecurityAuditor", account_trust, managed=[SECURITY_AUDIT, READ_LOGS]),
        role("Developer", account_trust, managed=[DEVELOPER, S3_READ], bound=BOUNDARY, path="/teams/"),
        role("DataEngineer", account_trust, managed=[DATA_PIPELINE], path="/teams/"),
        role("Operator", account_trust, managed=[POWER_USER]),
        role("IamAdmin", account_trust, inline_policies=[inline("Iam", doc(allow("iam:*")), encode=True)]),
        role("ecs-task-runner", trust("ecs-tasks.amazonaws.com"), path="/app/", inline_policies=[inline("Run", doc(
            allow(["ecs:RunTask", "ecs:DescribeTasks"]),
            allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/app/*", Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}})))]),
        role("backup-restore", trust("backup.amazonaws.com"), inline_policies=[inline("Restore", doc(
            allow(["backup:StartRestoreJob", "ec2:CreateVolume"]),
            allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/backup-restore",
                  Condition={"StringNotEquals": {"iam:PassedToService": "backup.amazonaws.com"}}),
            deny("iam:PassRole", Condition={"StringNotEquals": {"iam:PassedToService": "backup.amazonaws.com"}})))]),
        role("AWSServiceRoleForSupport", trust("support.amazonaws.com"), managed=[SUPPORT_SLR],
             path="/aws-service-role/support.amazonaws.com/"),
        role("unused-legacy", account_trust),
    ]
    if current:
        # Change: a new role with administrator access.
        out.append(role("vendor-integration", account_trust, managed=[ADMIN], path="/vendors/"))
    return out


def details(current):
    attachments = {}
    everything = users(current) + groups(current) + roles(current)
    for e in everything:
        for a in e.get("AttachedManagedPolicies", []):
            attachments[a["PolicyArn"]] = attachments.get(a["PolicyArn"], 0) + 1
    policies = [policy_entry(arn, name, path, versions, default, attachments.get(arn, 0), encode=(name == "ReadLogs"))
                for arn, name, path, versions, default in customer_policies(current)]
    # AdministratorAccess is listed with its document, as `--filter AWSManagedPolicy` lists
    # every attached AWS managed policy; the others are left to hornbeam's copy.
    policies.append(policy_entry(ADMIN, "AdministratorAccess", "/", [("v1", doc(allow("*")))], "v1",
                                 attachments.get(ADMIN, 0), encode=False))
    return {
        "UserDetailList": users(current),
        "GroupDetailList": groups(current),
        "RoleDetailList": roles(current),
        "Policies": policies,
        "IsTruncated": False,
    }


def main():
    for name, current in [("approved.json", False), ("current.json", True)]:
        with open(os.path.join(HERE, name), "w") as f:
            json.dump(details(current), f, indent=4)
            f.write("\n")
    with open(os.path.join(HERE, "organization.json"), "w") as f:
        json.dump({
            "serviceControlPolicies": [
                [{"Version": "2012-10-17", "Statement": [{"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}]}],
                [{"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "*", "Resource": "*"},
                    {"Sid": "PassRoleOnlyFromAutomation", "Effect": "Deny", "Action": "iam:PassRole", "Resource": "*",
                     "Condition": {"ArnNotLike": {"aws:PrincipalArn": [
                         "arn:aws:iam::*:role/automation/*", "arn:aws:iam::*:role/OrganizationAccountAccessRole"]}}}]}],
            ],
        }, f, indent=4)
        f.write("\n")


if __name__ == "__main__":
    main()
