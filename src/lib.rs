//! baselint: a linter for Windows security baselines written as code.

pub mod catalog;
pub mod ingest;
pub mod model;
pub mod source;
