#!/usr/bin/env bash
# Seed fuzz/corpus/<target>/ from the repository's fixtures and the Contoso example.
# The corpus folders are git-ignored; rerun this after adding fixtures. Idempotent.
set -euo pipefail
fuzz="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$fuzz")"
cd "$root"

# add TARGET FILE: copy FILE into corpus/TARGET under a name made from its path.
add() {
    local dir="$fuzz/corpus/$1"
    mkdir -p "$dir"
    local name="${2//\//_}"
    name="${name// /_}"
    cp "$2" "$dir/$name"
}

sources=(tests/fixtures examples baselines)
while IFS= read -r -d '' f; do
    case "$f" in
        *.json)
            add intune_json "$f"
            add json_cursor "$f"
            # CKLB detection is by content: a JSON with target_data/stigs is a checklist too.
            if grep -q '"target_data"' "$f"; then add cklb "$f"; fi ;;
        *.cklb) add cklb "$f"; add intune_json "$f" ;;
        *.ckl) add ckl "$f" ;;
        *.inf) add security_template "$f" ;;
        *.pol) add registry_pol "$f" ;;
        *.xml)
            if grep -q 'Benchmark' "$f"; then add xccdf "$f"; fi
            if grep -qE '<(GPO|report)[ >]' "$f"; then add gpo_report "$f"; fi
            if grep -q '<CHECKLIST' "$f"; then add ckl "$f"; fi ;;
        */baselint.toml) add config_toml "$f" ;;
        */exceptions*.toml | */exceptions/*.toml) add exceptions_toml "$f" ;;
        *.toml) add baseline_toml "$f" ;;
    esac
done < <(find "${sources[@]}" -type f -print0 | sort -z)

for f in rules/*.toml; do add rule_toml "$f"; done

# Membership and filter rules: the strings themselves, from every JSON fixture, plus a few
# hand-written ones covering the grammar's corners.
rules_dir="$fuzz/corpus/membership_rule"
mkdir -p "$rules_dir"
if command -v python3 >/dev/null 2>&1; then
    python3 - "$rules_dir" "${sources[@]}" <<'PY'
import hashlib, json, os, sys
out, roots = sys.argv[1], sys.argv[2:]
def walk(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("membershipRule", "rule") and isinstance(v, str) and v.strip():
                yield v
            else:
                yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)
for root in roots:
    for d, _, files in os.walk(root):
        for name in files:
            if not name.endswith(".json"):
                continue
            try:
                doc = json.load(open(os.path.join(d, name), encoding="utf-8-sig"))
            except Exception:
                continue
            for rule in walk(doc):
                h = hashlib.sha1(rule.encode()).hexdigest()[:12]
                open(os.path.join(out, "rule-" + h), "w").write(rule)
PY
fi
i=0
while IFS= read -r rule; do
    i=$((i + 1))
    printf '%s' "$rule" >"$rules_dir/hand-$i"
done <<'RULES'
(device.deviceTrustType -eq "AzureAD") -and (device.deviceOSType -eq "Windows")
(device.deviceTrustType -in ["ServerAD","Workplace"]) or not (device.deviceOSType -startsWith "Win")
device.devicePhysicalIds -any (_ -eq "[OrderID]:PILOT")
user.assignedPlans -any (assignedPlan.servicePlanId -eq "efb87545-963c-4e0d-99df-69c6916d9eb0" -and assignedPlan.capabilityStatus -eq "Enabled")
Direct Reports for "62e19b97-8b3d-4d4a-a106-4ce66896a863"
(device.model -contains "Virtual Machine") or (device.deviceTrustType -eq "Hybrid Azure AD joined")
-not (device.extensionAttribute1 -match "^LON-[0-9]+$") -and (device.deviceOwnership -ne "Personal")
(user.department -notIn ["Sales","HR"]) -and (user.accountEnabled -eq true)
RULES

# pipeline: the seeds above behind the first byte that makes the target name the file
# alike (fuzz/src/lib.rs, PIPELINE_NAMES), plus the HardeningKitty lists. Only the seeds: the
# inputs libFuzzer added to the other targets' corpora (named by their SHA-1) would make the
# pipeline, which runs every rule and every report on each input, spend its runs replaying
# tens of thousands of them.
pipeline_dir="$fuzz/corpus/pipeline"
mkdir -p "$pipeline_dir"
seed_pipeline() {
    local selector="$1" f name
    shift
    for f in "$@"; do
        name="${f##*/}"
        [ -f "$f" ] || continue
        [[ "$name" =~ ^[0-9a-f]{40}$ ]] && continue
        { printf '%b' "\\$(printf '%03o' "$selector")"; cat "$f"; } \
            >"$pipeline_dir/$selector-${name// /_}"
    done
}
for pair in 0:intune_json 1:gpo_report 1:xccdf 2:security_template 3:registry_pol 4:ckl 5:cklb \
    6:config_toml 6:baseline_toml 6:exceptions_toml; do
    seed_pipeline "${pair%%:*}" "$fuzz/corpus/${pair#*:}"/*
done
while IFS= read -r -d '' f; do seed_pipeline 7 "$f"; done \
    < <(find "${sources[@]}" -type f -name '*.csv' -print0 | sort -z)

# gpo_backup: each backup or template (GPT.INI) folder's files, in the order of
# fuzz/src/lib.rs BACKUP_FILES (found in any letter case, as baselint finds them; a template
# folder's without the backup's DomainSysvol/GPO), joined by BACKUP_SEPARATOR; a missing file is
# an empty part. Both are read from lib.rs, so the seeds follow the target.
if command -v python3 >/dev/null 2>&1; then
    python3 - "$fuzz/src/lib.rs" "$fuzz/corpus/gpo_backup" "${sources[@]}" <<'PY'
import ast, os, re, sys
lib, out, roots = sys.argv[1], sys.argv[2], sys.argv[3:]
rust = open(lib, encoding="utf-8").read()
listed = re.search(r"pub const BACKUP_FILES: \[&str; \d+\] = \[(.*?)\];", rust, re.S).group(1)
FILES = re.findall(r'"([^"]*)"', listed)
SEPARATOR = ast.literal_eval(re.search(r'pub const BACKUP_SEPARATOR: &\[u8\] = (b"[^"]*");', rust).group(1))
def find_ci(d, rel):
    for part in rel.split("/"):
        try:
            match = [n for n in os.listdir(d) if n.lower() == part.lower()]
        except OSError:
            return None
        if not match:
            return None
        d = os.path.join(d, match[0])
    return d if os.path.isfile(d) else None
os.makedirs(out, exist_ok=True)
for root in roots:
    for d, _, files in os.walk(root):
        if not any(n.lower() in ("backup.xml", "bkupinfo.xml", "gpt.ini") for n in files):
            continue
        parts = []
        for rel in FILES:
            path = find_ci(d, rel) or find_ci(d, rel.removeprefix("DomainSysvol/GPO/"))
            parts.append(open(path, "rb").read() if path else b"")
        name = d.replace("/", "_").replace(" ", "_")
        open(os.path.join(out, name), "wb").write(SEPARATOR.join(parts))
PY
fi

# streamed_list: lists of Settings Catalog policies, pretty-printed as Graph writes them
# (a list response, a bare array, with CRLF line ends), made from the JSON fixtures that are
# one such policy each, behind a first byte that picks the window size (fuzz/src/lib.rs).
if command -v python3 >/dev/null 2>&1; then
    python3 - "$fuzz/corpus/streamed_list" "${sources[@]}" <<'PY'
import json, os, sys
out, roots = sys.argv[1], sys.argv[2:]
os.makedirs(out, exist_ok=True)
policies = []
for root in roots:
    for d, _, files in os.walk(root):
        for name in sorted(files):
            if not name.endswith(".json"):
                continue
            try:
                doc = json.load(open(os.path.join(d, name), encoding="utf-8"))
            except Exception:
                continue
            if isinstance(doc, dict) and "settings" in doc and "@odata.type" in doc \
                    and doc["@odata.type"].endswith("deviceManagementConfigurationPolicy"):
                doc.pop("@odata.context", None)
                policies.append(doc)
for n in range(0, len(policies), 4):
    group = policies[n:n + 4] * 2
    response = {"@odata.context": "https://graph.microsoft.com/beta/$metadata#x", "value": group}
    shapes = [json.dumps(response, indent=2), json.dumps(group, indent=4)]
    shapes.append(shapes[0].replace("\n", "\r\n"))
    for k, text in enumerate(shapes):
        for selector in (40, 128):
            data = bytes([selector]) + text.encode("ascii", "backslashreplace")
            open(os.path.join(out, f"list-{n}-{k}-{selector}"), "wb").write(data)
PY
fi

for d in "$fuzz"/corpus/*/; do
    printf '%-20s %3d inputs\n' "$(basename "$d")" "$(find "$d" -type f | wc -l)"
done
