//! A tiny ordered JSON tree, pretty-printed like Graph exports (2-space indent).

use std::fmt::Write as _;

pub enum J {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(&'static str, J)>),
}

pub fn s(text: impl Into<String>) -> J {
    J::Str(text.into())
}

fn write_json(out: &mut String, value: &J, indent: usize) {
    match value {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Int(i) => {
            let _ = write!(out, "{i}");
        }
        J::Str(text) => out.push_str(&serde_json::to_string(text).expect("a string serialises")),
        J::Arr(items) if items.is_empty() => out.push_str("[]"),
        J::Obj(props) if props.is_empty() => out.push_str("{}"),
        J::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                pad(out, indent + 1);
                write_json(out, item, indent + 1);
            }
            out.push('\n');
            pad(out, indent);
            out.push(']');
        }
        J::Obj(props) => {
            out.push('{');
            for (i, (key, item)) in props.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                pad(out, indent + 1);
                out.push_str(&serde_json::to_string(key).expect("a string serialises"));
                out.push_str(": ");
                write_json(out, item, indent + 1);
            }
            out.push('\n');
            pad(out, indent);
            out.push('}');
        }
    }
}

fn pad(out: &mut String, indent: usize) {
    for _ in 0..indent {
        out.push_str("  ");
    }
}

pub fn pretty(value: &J) -> String {
    let mut out = String::new();
    write_json(&mut out, value, 0);
    out.push('\n');
    out
}
