//! `managed-policies`: the AWS managed policies hornbeam embeds.

use anyhow::Result;
use clap::Subcommand;

use crate::cli::{ExitStatus, print};

#[derive(Subcommand, Debug)]
pub(crate) enum ManagedPoliciesCommand {
    /// List the AWS managed policies hornbeam knows, with their ARNs and versions.
    List,
    /// Print one: `NAME`, `aws-managed:NAME` or its ARN.
    Show {
        /// The policy.
        name: String,
    },
}

pub(crate) fn managed_policies(command: ManagedPoliciesCommand) -> Result<ExitStatus> {
    match command {
        ManagedPoliciesCommand::List => {
            let mut out = String::new();
            for name in crate::managed::names() {
                if let Some(Ok(p)) = crate::managed::get(&format!("aws-managed:{name}")) {
                    out += &format!("{}\t{}\t{}\n", p.name, p.version, p.arn);
                }
            }
            out += &format!(
                "\n{} policies from {}; use one as a policy document: aws-managed:NAME or its ARN.",
                crate::managed::names().len(),
                crate::managed::source()
            );
            print(&out);
            Ok(ExitStatus::Ok)
        }
        ManagedPoliciesCommand::Show { name } => {
            let reference = if crate::managed::reference_name(&name).is_some() {
                name
            } else {
                format!("aws-managed:{name}")
            };
            match crate::managed::get(&reference) {
                Some(Ok(p)) => {
                    let pretty = serde_json::from_str::<serde_json::Value>(&p.document)
                        .ok()
                        .and_then(|v| serde_json::to_string_pretty(&v).ok())
                        .unwrap_or_else(|| p.document.clone());
                    print(&pretty);
                    Ok(ExitStatus::Ok)
                }
                Some(Err(e)) => Err(anyhow::Error::new(e).context("managed-policies show")),
                None => anyhow::bail!(
                    "managed-policies show: `{reference}` names no AWS managed policy"
                ),
            }
        }
    }
}
