//! Output emitters, one module per format, like the checks they print: `json` (AWS's
//! response shapes and cfn-policy-validator's findings), `text` (for people) and
//! `sarif` (code scanning).

pub mod json;
pub mod sarif;
pub mod text;

use crate::policy::Effect;

pub(crate) fn effect_name(e: Effect) -> &'static str {
    match e {
        Effect::Allow => "Allow",
        Effect::Deny => "Deny",
    }
}
