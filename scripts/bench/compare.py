#!/usr/bin/env python3
"""Normalise PKU2U findings from baselint and from the Rego tools, and compare them.

    compare.py baselint REPORT.json     # baselint check --format json
    compare.py rego RESULT              # regorus eval output, or opa_eval.py's JSON lines
    compare.py diff NAME_A A NAME_B B   # A and B as printed by the two commands above

The first two print one finding per line, sorted and deduplicated: rule, policy name and target
(group display name, "All devices", ...), tab-separated. `diff` prints a unified diff and exits 1
when the two sets differ. Standard library only.

A finding is identified by (rule, policy, target): baselint reports one finding per include
assignment that may reach the rule's join type, and so does pku2u.rego. baselint's target is read
from its "assigned to ..." label; its rule ids are selected by prefix. Findings on GPOs (the
generated tenant has GPO reports too) are left out: the Rego policy reads the Intune exports.
"""

import difflib
import json
import re
import sys

RULES = ("pku2u-disabled-on-entra-joined", "pku2u-disabled-on-hybrid-joined")
ASSIGNED = re.compile(r'^assigned to (?:group "(?P<group>.*)"|(?P<other>.*))$')


def line(rule: str, policy: str, target: str) -> str:
    for field in (rule, policy, target):
        if "\t" in field or "\n" in field:
            raise ValueError(f"tab or newline in a finding field: {field!r}")
    return f"{rule}\t{policy}\t{target}"


def from_baselint(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    out = set()
    for finding in report["findings"]:
        if finding["rule"] not in RULES:
            continue
        if finding.get("policy", {}).get("source") == "gpo":
            # The Rego policy reads the Intune exports only; GPO findings are baselint's own.
            continue
        targets = [
            m.group("group") if m.group("group") is not None else m.group("other")
            for m in (ASSIGNED.match(r["message"]) for r in finding["related"])
            if m
        ]
        if len(targets) != 1:
            raise ValueError(f"cannot tell the target of {finding['message']!r}")
        out.add(line(finding["rule"], finding["policy"]["name"], targets[0]))
    return sorted(out)


def from_rego(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    stripped = text.lstrip()
    if stripped.startswith("{") and '"result"' in stripped[:200]:
        # regorus eval prints OPA's result format: {"result": [{"expressions": [{"value": ...}]}]}
        results = json.loads(text)["result"]
        findings = results[0]["expressions"][0]["value"] if results else []
    else:
        findings = [json.loads(l) for l in text.splitlines() if l.strip()]
    return sorted({line(f["rule"], f["policy"], f["target"]) for f in findings})


def diff(name_a: str, a: str, name_b: str, b: str) -> int:
    with open(a, encoding="utf-8") as f:
        left = f.read().splitlines()
    with open(b, encoding="utf-8") as f:
        right = f.read().splitlines()
    if left == right:
        return 0
    sys.stdout.writelines(
        l + "\n" for l in difflib.unified_diff(left, right, name_a, name_b, lineterm="")
    )
    only_a, only_b = set(left) - set(right), set(right) - set(left)
    print(f"{len(only_a)} only in {name_a}, {len(only_b)} only in {name_b}", file=sys.stderr)
    return 1


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[1] in ("baselint", "rego"):
        lines = from_baselint(argv[2]) if argv[1] == "baselint" else from_rego(argv[2])
        sys.stdout.write("".join(l + "\n" for l in lines))
        return 0
    if len(argv) == 6 and argv[1] == "diff":
        return diff(*argv[2:])
    print("\n".join(__doc__.strip().splitlines()[2:5]), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
