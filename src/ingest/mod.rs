//! Input readers: detect each file's format by content, then one module per format.

pub mod entra_groups;
pub mod intune;
pub mod json;
pub mod membership_rule;

use crate::model::{AssignmentFilter, Group, InputError, Policy};

/// What one file contributed to the model.
#[derive(Debug, Default)]
pub struct Parsed {
    pub policies: Vec<Policy>,
    pub groups: Vec<Group>,
    pub filters: Vec<AssignmentFilter>,
    pub errors: Vec<InputError>,
}
