//! STIG Viewer checklists: `.ckl` (XML) and `.cklb` (JSON).
//!
//! (Being written.)

#![allow(unused_imports)]

use std::path::Path;

use super::Parsed;
use crate::catalog::Catalog;
use crate::model::Model;
use crate::source::{SourceFile, SourceId};

pub fn read_ckl(_id: SourceId, _file: &SourceFile) -> Parsed {
    Parsed::default()
}

pub fn read_cklb(_id: SourceId, _file: &SourceFile) -> Parsed {
    Parsed::default()
}
