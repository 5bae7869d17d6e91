//! One module per subcommand: its arguments and what it does.

pub mod access_not_granted;
pub mod external_access;
pub mod managed_policies;
pub mod no_new_access;
pub mod no_public_access;
pub mod reference_policies;
pub mod serve;
pub mod simulate;
pub mod validate;
pub mod validate_policy;
pub mod verify_proof;
