//! GPMC backup folders: one GPO from `gpreport.xml` and the raw files.
//!
//! (Being written.)

#![allow(unused_imports)]

use std::path::Path;

use super::Parsed;
use crate::catalog::Catalog;
use crate::model::Model;
use crate::source::{SourceFile, SourceId};

pub fn read_backup(_dir: &Path, _model: &mut Model, _catalog: &Catalog) {}
