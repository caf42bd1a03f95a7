//! Pretty JSON written piece by piece, byte for byte as `serde_json::to_writer_pretty` writes
//! the whole document: a report of tens of thousands of findings is rendered on all cores a
//! chunk at a time and written in order, never held whole (the JSON and SARIF reports).

use serde::Serialize;

/// A value as pretty JSON at `depth` of a document: its inner lines indented two spaces per
/// level, its first line not. Serialised inside as many one-element arrays, whose brackets are
/// then cut off: serde_json indents it exactly as in place.
pub(super) fn at_depth(value: &impl Serialize, depth: usize) -> std::io::Result<Rendered> {
    struct Wrapped<'v, V>(&'v V, usize);
    impl<V: Serialize> Serialize for Wrapped<'_, V> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            match self.1 {
                0 => self.0.serialize(serializer),
                depth => [Wrapped(self.0, depth - 1)].serialize(serializer),
            }
        }
    }
    let mut text = Vec::with_capacity(2048);
    serde_json::to_writer_pretty(&mut text, &Wrapped(value, depth))?;
    // `[\n  `, `[\n    `... before the value; `\n]`, `\n  ]`... after it.
    let start = (1..=depth).map(|level| 2 + 2 * level).sum();
    let end = text.len() - (0..depth).map(|level| 2 + 2 * level).sum::<usize>();
    Ok(Rendered { text, start, end })
}

/// Serialised text and the part of it that is the value.
pub(super) struct Rendered {
    text: Vec<u8>,
    start: usize,
    end: usize,
}

impl Rendered {
    pub(super) fn bytes(&self) -> &[u8] {
        &self.text[self.start..self.end]
    }
}

/// A list at `depth` whose items (at `depth + 1`) `render` serialises: on all cores a chunk at
/// a time, written in order.
pub(super) fn write_list<T: Sync>(
    out: &mut dyn std::io::Write,
    items: &[T],
    depth: usize,
    render: impl Fn(&T) -> std::io::Result<Rendered> + Sync,
) -> std::io::Result<()> {
    /// Enough items to keep every core busy, few enough to stay small in memory.
    const CHUNK: usize = 1024;
    if items.is_empty() {
        return out.write_all(b"[]");
    }
    let item_indent = "  ".repeat(depth + 1);
    out.write_all(b"[")?;
    let mut separator = "\n";
    super::write_in_order(items, CHUNK, render, |text| {
        out.write_all(separator.as_bytes())?;
        separator = ",\n";
        out.write_all(item_indent.as_bytes())?;
        out.write_all(text?.bytes())
    })?;
    write!(out, "\n{}]", "  ".repeat(depth))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pretty(value: &serde_json::Value) -> String {
        serde_json::to_string_pretty(value).unwrap()
    }

    fn rendered(value: &serde_json::Value, depth: usize) -> String {
        String::from_utf8(at_depth(value, depth).unwrap().bytes().to_vec()).unwrap()
    }

    /// `at_depth` and `write_list` give the bytes serde_json writes in place, at the depths
    /// the reports use, for every kind of value (nested, empty, escaped).
    #[test]
    fn values_and_lists_at_depth_are_what_serde_json_writes_in_place() {
        let values = [
            json!({"rule": "x", "line": 3, "related": [{"message": "m\nn", "line": 1}],
                   "notes": [], "policy": {"name": "é \"q\"", "id": null}, "empty": {}}),
            json!([]),
            json!({}),
            json!("text"),
            json!([1, [2, []], {"a": {"b": []}}]),
        ];
        for value in &values {
            let field = pretty(&json!({ "k": value }));
            assert_eq!(field, format!("{{\n  \"k\": {}\n}}", rendered(value, 1)));
            let listed = pretty(&json!({ "k": [value, value] }));
            let item = rendered(value, 2);
            assert_eq!(
                listed,
                format!("{{\n  \"k\": [\n    {item},\n    {item}\n  ]\n}}")
            );
        }
        // A list deep in a document, as SARIF's results are; and an empty one.
        for items in [&values[..], &[]] {
            let whole = pretty(&json!({ "runs": [{ "results": items }] }));
            let mut list = Vec::new();
            write_list(&mut list, items, 3, |v| at_depth(v, 4)).unwrap();
            let list = String::from_utf8(list).unwrap();
            assert_eq!(
                whole,
                format!("{{\n  \"runs\": [\n    {{\n      \"results\": {list}\n    }}\n  ]\n}}")
            );
        }
    }
}
