//! Registry.pol (PReg) files.
//!
//! (Being written.)

#![allow(unused_imports)]

use std::path::Path;

use super::Parsed;
use crate::catalog::Catalog;
use crate::model::Model;
use crate::source::{SourceFile, SourceId};

/// True when the bytes start with the PReg signature.
pub fn is_registry_pol(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PReg")
}

/// Add a readable listing of the file as a source and its entries as settings.
/// `hive` is `HKLM` or `HKCU` when known from the backup folder (`Machine`/`User`).
pub fn load(
    _path: &Path,
    _bytes: &[u8],
    _hive: Option<&str>,
    _model: &mut Model,
    _catalog: &Catalog,
) {
}
