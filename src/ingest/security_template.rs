//! Security templates (`GptTmpl.inf`).
//!
//! (Being written.)

#![allow(unused_imports)]

use std::path::Path;

use super::Parsed;
use crate::catalog::Catalog;
use crate::model::Model;
use crate::source::{SourceFile, SourceId};

/// `hive_scope` is the GPO half the template belongs to when read from a backup.
pub fn read(_id: SourceId, _file: &SourceFile, _gpo: Option<&str>, _catalog: &Catalog) -> Parsed {
    Parsed::default()
}
