//! Output formats: one module each. Reporters know nothing of parsers or rules beyond
//! [`crate::finding::Finding`], input errors and the source text.

pub mod human;
pub mod json;

use crate::source::{Location, Sources};

/// The output formats of `baselint check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

/// A resolved position: display path and 1-based line/column; the end column is exclusive.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Position {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// Resolve a location to lines and columns.
pub fn position(sources: &Sources, location: Location) -> Position {
    let file = sources.get(location.file);
    let (line, column) = file.line_col(location.span.start as usize);
    let (end_line, end_column) = file.line_col(location.span.end as usize);
    Position {
        path: file.display_path.clone(),
        line,
        column,
        end_line,
        end_column,
    }
}
