//! Embeds every `rules/*.toml` and `baselines/*.toml` file in the binary, so adding a rule or a
//! shipped baseline is adding a file.

use std::fmt::Write;
use std::path::Path;

fn main() {
    embed("rules", "BUILTIN_RULES", "builtin_rules.rs");
    embed("baselines", "BUILTIN_BASELINES", "builtin_baselines.rs");
}

/// Write `$OUT_DIR/<out>` with a static list of (file name, contents) for `<folder>/*.toml`.
fn embed(folder: &str, name: &str, out: &str) {
    println!("cargo:rerun-if-changed={folder}");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| entries.collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    let mut code = format!(
        "/// Embedded `{folder}/*.toml`: (file name, contents).\npub static {name}: &[(&str, &str)] = &[\n"
    );
    for file in names {
        let path = dir.join(&file);
        writeln!(
            code,
            "    ({file:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join(out);
    std::fs::write(out, code).unwrap();
}
