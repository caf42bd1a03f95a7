//! Baselines shipped in the binary (`baselines/*.toml`, embedded by build.rs).

include!(concat!(env!("OUT_DIR"), "/builtin_baselines.rs"));

/// The text of a shipped baseline, by name (`entra-joined-adjustments`, with or without
/// `.toml`).
pub fn shipped(name: &str) -> Option<&'static str> {
    let name = name.strip_suffix(".toml").unwrap_or(name);
    BUILTIN_BASELINES
        .iter()
        .find(|(file, _)| file.strip_suffix(".toml") == Some(name))
        .map(|(_, text)| *text)
}

/// Names of the shipped baselines.
pub fn shipped_names() -> Vec<&'static str> {
    BUILTIN_BASELINES
        .iter()
        .filter_map(|(file, _)| file.strip_suffix(".toml"))
        .collect()
}
