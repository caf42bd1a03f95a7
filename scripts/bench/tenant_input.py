#!/usr/bin/env python3
"""Merge a tenant folder into the one input document scripts/bench/pku2u.rego reads.

    tenant_input.py TENANT_DIR > input.json      # for regorus (it takes a single input file)

Rego engines evaluate one input document, so a user of OPA or regorus must merge the export's
files first; the benchmark counts this step in the tool's time. The files are spliced in as raw
text, not parsed and re-serialised: that is the cheapest merge there is (the engine parses the
result anyway), so the Rego tools are not charged for Python's JSON speed.

Reads what examples/gen_tenant.rs writes (and what baselint reads for these rules):
intune/*.json (one Graph policy per file, or a Graph list {"value": [...]}), entra/groups.json,
entra/assignmentFilters.json, and [inventory.groups] of baselint.toml (declared join types of
static groups). Standard library only.
"""

import json
import sys
import tomllib
from pathlib import Path

EMPTY_LIST = b'{"value": []}'


def read_json_text(path: Path) -> bytes:
    """The file's bytes without a UTF-8 byte order mark (Graph exports from Windows have one)."""
    data = path.read_bytes()
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


def inventory(tenant: Path) -> dict:
    config = tenant / "baselint.toml"
    if not config.is_file():
        return {"groups": {}}
    with config.open("rb") as f:
        groups = tomllib.load(f).get("inventory", {}).get("groups", {})
    return {"groups": groups}


def merged_input(tenant: Path) -> bytes:
    """The merged document as UTF-8 JSON bytes."""
    parts = [b'{"policies": [']
    for i, path in enumerate(sorted((tenant / "intune").glob("*.json"))):
        if i:
            parts.append(b",\n")
        name = json.dumps(path.relative_to(tenant).as_posix()).encode()
        parts += [b'{"file": ', name, b', "doc": ', read_json_text(path), b"}"]
    parts.append(b"],\n")
    for key, file in (("groups", "groups.json"), ("filters", "assignmentFilters.json")):
        path = tenant / "entra" / file
        text = read_json_text(path) if path.is_file() else EMPTY_LIST
        parts += [b'"', key.encode(), b'": ', text, b",\n"]
    parts += [b'"inventory": ', json.dumps(inventory(tenant)).encode(), b"}\n"]
    return b"".join(parts)


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    sys.stdout.buffer.write(merged_input(Path(sys.argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
