//! `reference-policies`: the built-in reference policies and access lists.

use anyhow::Result;
use clap::Subcommand;

use crate::cli::{ExitStatus, print};

#[derive(Subcommand, Debug)]
pub(crate) enum ReferencePoliciesCommand {
    /// List the built-in reference policies and access lists.
    List,
    /// Print one of them.
    Show {
        /// The name, as `list` shows it.
        name: String,
    },
}

pub(crate) fn reference_policies(command: ReferencePoliciesCommand) -> Result<ExitStatus> {
    use crate::references::{self, Use};
    match command {
        ReferencePoliciesCommand::List => {
            let width = references::ALL
                .iter()
                .map(|b| b.name.len())
                .max()
                .unwrap_or(0);
            let mut out = String::new();
            for b in references::ALL {
                let kind = match b.kind {
                    Use::Reference(t) => t.to_string(),
                    Use::Access => "ACCESS_LIST".to_string(),
                };
                out += &format!("builtin:{:width$}  {kind:15}  {}\n", b.name, b.summary);
            }
            out += "\nUse one as --existing-policy-document/--reference-policy builtin:NAME (reference policies)\nor --access builtin:NAME (access lists); `hornbeam reference-policies show NAME` prints it.";
            print(&out);
            Ok(ExitStatus::Ok)
        }
        ReferencePoliciesCommand::Show { name } => match references::get(&name) {
            Some(b) => {
                print(b.text.trim_end());
                Ok(ExitStatus::Ok)
            }
            None => anyhow::bail!(
                "reference-policies show: there is no built-in `{name}`; the names are {}",
                references::names()
            ),
        },
    }
}
