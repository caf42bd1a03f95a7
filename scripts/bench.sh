#!/usr/bin/env bash
# End-to-end benchmark of `baselint check --format json` on synthetic tenants, and a comparison
# with the PKU2U rules written in Rego (scripts/bench/pku2u.rego) and evaluated by OPA and by
# regorus over the same files, with the findings checked identical, and with the floor issue 6
# sets: a typed serde_json program that reads only what the PKU2U rule needs, on all cores
# (examples/pku2u_floor.rs).
#
# Each size is generated in three shapes: `intune` (Intune policies, Entra groups and filters:
# the shape of issue 6's reference export; the comparison runs on it), `list` (the same, its
# Settings Catalog policies in one Graph list response, as a tenant-wide export writes them)
# and `full` (`intune` plus GPO reports and a STIG benchmark).
#
#   scripts/bench.sh                 # 1k and 10k policies
#   BENCH_LARGE=1 scripts/bench.sh   # also 50k (about 1.3 GB of JSON in the temp dir)
#
# Environment:
#   BENCH_SIZES  policy counts (default "1000 10000"; BENCH_LARGE=1 appends 50000)
#   BENCH_SHAPES tenant shapes (default "intune list full")
#   BENCH_SEED   generator seed (default 42)
#   BENCH_RUNS   hyperfine runs per size for baselint (default 5; 50k uses 2)
#   BENCH_TOOL_RUNS  hyperfine runs for the Rego tools and `--select` (default 3; 50k uses 1)
#   BENCH_COMPARE=0  skip the comparison with OPA and regorus
#   BENCH_SEMANTICS=0  skip its semantics check (findings on a copy of the smallest tenant where
#                every policy disables PKU2U; not timed)
#   BENCH_PARSE=0  skip the parse-only throughput per format (`cargo bench --bench parse`)
#   BENCH_KEEP=1 keep the generated tenants (the script prints where they are)
#   BENCH_MEM_MB memory the Rego tools may use (default: MemAvailable from /proc/meminfo); a
#                tool is skipped, with a message, at a size it would not fit in (measured:
#                OPA 3.3 GB at 10k policies and 17 GB at 50k, regorus 0.8 and 3.8 GB)
#   REGORUS      the regorus CLI (default: `regorus` on PATH)
#   PYTHON       Python 3.11+ for the OPA driver and the merge (default python3)
#   TMPDIR       where the tenants are generated (never inside the repository)
#
# Timing uses hyperfine when installed (`apt-get install -y hyperfine`, `cargo install hyperfine`
# or `brew install hyperfine`), else one `/usr/bin/time -v` run per command. Peak RSS always
# comes from `/usr/bin/time -v` ("Maximum resident set size"; `apt-get install -y time`): for a
# pipeline of processes it is the largest process's. The finding count and a hash of the JSON
# report are taken from two runs, which must agree.
#
# The comparison (see scripts/bench/README.md) needs, and skips with a hint when missing:
#   OPA:     pip install --ignore-requires-python opa-golib-python-bindings
#   regorus: cargo install regorus --locked --example regorus   (or set REGORUS)
# Both tools' times include merging the tenant's files into one input document (a Rego engine
# takes one), as a user would have to. The script fails, with a diff, when a tool's findings
# differ from baselint's `pku2u-disabled-on-*` findings.
# Prints Markdown tables. See docs/performance.md.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

sizes="${BENCH_SIZES:-1000 10000}"
if [ "${BENCH_LARGE:-0}" = 1 ]; then
    sizes="$sizes 50000"
fi
seed="${BENCH_SEED:-42}"
shapes="${BENCH_SHAPES:-intune list full}"
runs="${BENCH_RUNS:-5}"
tool_runs="${BENCH_TOOL_RUNS:-3}"
# The interpreter itself, not a wrapper such as a pyenv shim (which costs a few tenths of a
# second per start, charged to the Rego tools' rows).
python="$("${PYTHON:-python3}" -c 'import sys; print(sys.executable)' 2>/dev/null || echo "${PYTHON:-python3}")"
bench="$root/scripts/bench"

echo "building release binaries..." >&2
cargo build --release --quiet --bin baselint --example gen_tenant --example pku2u_floor
target_dir="${CARGO_TARGET_DIR:-$root/target}"
baselint="$target_dir/release/baselint"
gen="$target_dir/release/examples/gen_tenant"
floor="$target_dir/release/examples/pku2u_floor"

work="$(mktemp -d "${TMPDIR:-/tmp}/baselint-bench.XXXXXX")"
case "$work" in
    "$root"/*) echo "refusing to generate inside the repository: $work" >&2; exit 2 ;;
esac
if [ "${BENCH_KEEP:-0}" = 1 ]; then
    echo "tenants kept in $work" >&2
else
    trap 'rm -rf "$work"' EXIT
fi

have_hyperfine=0
if command -v hyperfine >/dev/null 2>&1; then
    have_hyperfine=1
else
    echo "hyperfine not found: timing one run per size with /usr/bin/time." >&2
    echo "  install it with: apt-get install -y hyperfine  (or: cargo install hyperfine)" >&2
fi
gnu_time=""
if [ -x /usr/bin/time ] && /usr/bin/time -v true >/dev/null 2>&1; then
    gnu_time=/usr/bin/time
else
    echo "GNU time not found: no peak RSS (apt-get install -y time)." >&2
fi

# The Rego tools: skipped, with how to install them, when missing.
compare="${BENCH_COMPARE:-1}"
have_opa=0
have_regorus=0
regorus="${REGORUS:-$(command -v regorus || true)}"
if [ "$compare" = 1 ]; then
    if ! "$python" -c 'import sys, tomllib; assert sys.version_info >= (3, 11)' 2>/dev/null; then
        echo "no Python 3.11+ ($python): skipping the OPA and regorus comparison." >&2
        compare=0
    fi
fi
if [ "$compare" = 1 ]; then
    if "$python" -c 'import opa_bindings' 2>/dev/null; then
        have_opa=1
    else
        echo "OPA not found: skipping its rows. Install the Go engine from PyPI with:" >&2
        echo "  $python -m pip install --ignore-requires-python opa-golib-python-bindings" >&2
    fi
    if [ -n "$regorus" ] && [ -x "$regorus" ]; then
        have_regorus=1
    else
        echo "regorus not found: skipping its rows. Build its CLI (an example of the crate) with:" >&2
        echo "  cargo install regorus --locked --example regorus   (then put it on PATH or set REGORUS)" >&2
    fi
fi

# Seconds as a float from /usr/bin/time -v's "Elapsed (wall clock) time (h:mm:ss or m:ss): 0:01.23".
wall_seconds() {
    sed -n 's/.*Elapsed (wall clock) time[^:]*: //p' "$1" |
        awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.3f", s }'
}

# measure NAME RUNS OUT CMD...: one run under /usr/bin/time -v (standard output to OUT, standard
# error to OUT.err) for peak RSS, CPU time and the output, then hyperfine over RUNS runs. Sets
# m_mean (seconds), m_wall ("mean ± σ" or "x (1 run)"), m_rss (MB) and m_cpu (user + system
# seconds of that one run: steadier than wall time on a busy machine); n/a without GNU time.
measure() {
    local name="$1" r="$2" out="$3"
    shift 3
    local single start rss_kb
    m_rss="n/a"
    m_cpu="n/a"
    if [ -n "$gnu_time" ]; then
        "$gnu_time" -v -o "$work/time-$name.txt" "$@" >"$out" 2>"$out.err"
        rss_kb="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time-$name.txt")"
        m_rss="$(awk -v k="$rss_kb" 'BEGIN { printf "%.0f", k / 1024 }')"
        single="$(wall_seconds "$work/time-$name.txt")"
        m_cpu="$(awk -F': ' '/(User|System) time \(seconds\)/ { s += $2 } END { printf "%.2f", s }' "$work/time-$name.txt")"
    else
        start="$(date +%s.%N)"
        "$@" >"$out" 2>"$out.err"
        single="$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')"
    fi
    if [ "$have_hyperfine" = 1 ]; then
        echo "== $name: hyperfine ($r runs)" >&2
        hyperfine --warmup 1 --runs "$r" --style basic \
            --export-json "$work/hyperfine-$name.json" \
            "$(printf '%q ' "$@")>/dev/null 2>&1" >&2
        m_mean="$(grep -o '"mean": [0-9.e+-]*' "$work/hyperfine-$name.json" | head -1 | awk '{ printf "%.3f", $2 }')"
        local stddev
        stddev="$(grep -o '"stddev": [0-9.e+-]*' "$work/hyperfine-$name.json" | head -1 | awk '{ printf "%.3f", $2 }')"
        m_wall="$m_mean ± $stddev"
    else
        m_mean="$single"
        m_wall="$single (1 run)"
    fi
}

# fits TOOL MB_PER_1000_POLICIES: whether the Rego tool is expected to fit in memory at $n
# policies (its peak grows with the tenant: an OOM-killed tool would end the whole run); says
# why when it does not. Unknown memory (no /proc/meminfo, no BENCH_MEM_MB) counts as enough.
fits() {
    local need=$(($n * $2 / 1000)) available="${BENCH_MEM_MB:-}"
    if [ -z "$available" ]; then
        available="$(awk '/^MemAvailable:/ { printf "%d", $2 / 1024 }' /proc/meminfo 2>/dev/null || true)"
    fi
    if [ -n "$available" ] && [ "$available" -lt "$need" ]; then
        echo "skipping $1 at $n policies: it needs about $need MB, $available MB available" >&2
        return 1
    fi
}

# ratio A B: A / B with two decimals ("n/a" when either is not a number).
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2fx", a / b; else printf "n/a" }'
}

# check_same NAME FILE [BASELINT_FILE]: the tool's normalised findings must be baselint's (by
# default those of the full run at $n policies); else show the diff and fail at the end.
mismatch=0
check_same() {
    local expected="${3:-$work/pku2u-baselint-$n.txt}"
    if "$python" "$bench/compare.py" diff "baselint ($n)" "$expected" "$1 ($n)" "$2" >&2; then
        return 0
    fi
    echo "** $1 disagrees with baselint at $n policies (diff above) **" >&2
    mismatch=1
    return 1
}

rows=()
cmp_rows=()
for n in $sizes; do
  for shape in $shapes; do
    dir="$work/tenant-$n-$shape"
    echo "== $n policies, $shape: generating into $dir" >&2
    shape_args=()
    if [ "$shape" = intune ]; then shape_args=(--no-gpo --no-stig); fi
    if [ "$shape" = list ]; then shape_args=(--no-gpo --no-stig --catalog-list); fi
    "$gen" --policies "$n" --seed "$seed" --out "$dir" "${shape_args[@]}" >"$work/gen-$n-$shape.txt"
    sed 's/^/   /' "$work/gen-$n-$shape.txt" >&2
    bytes="$(du -sb "$dir" | cut -f1)"
    mb="$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')"
    files="$(find "$dir" -type f | wc -l)"
    settings="$(sed -n 's/^ *settings: *//p' "$work/gen-$n-$shape.txt")"
    cmd=("$baselint" check --format json --fail-on never "$dir")
    # The 50k list file is about 1.4 GB, over the default 512 MiB limit on a file's size.
    if [ "$shape" = list ]; then cmd+=(--max-file-size 4GiB); fi
    r="$runs"
    tr="$tool_runs"
    if [ "$n" -ge 50000 ]; then r="${BENCH_RUNS:-2}"; tr="${BENCH_TOOL_RUNS:-1}"; fi

    # One measured run for peak RSS and the report, hyperfine for the time; a second report
    # for the determinism check.
    measure "baselint-$n-$shape" "$r" "$work/report-$n-$shape.json" "${cmd[@]}"
    base_mean="$m_mean"
    base_wall="$m_wall"
    base_rss="$m_rss"
    base_cpu="$m_cpu"
    "${cmd[@]}" >"$work/report-$n-$shape.again.json"
    findings="$(grep -o '"findings": [0-9]*' "$work/report-$n-$shape.json" | tail -1 | grep -o '[0-9]*$')"
    # The report names files by their absolute path, in a new temporary folder each run: hashed
    # with the folder left out, reports compare across runs (the same seed gives the same digest
    # unless the output changed).
    hash="$(sed "s|$dir/||g" "$work/report-$n-$shape.json" | sha256sum | cut -c1-12)"
    if cmp -s "$work/report-$n-$shape.json" "$work/report-$n-$shape.again.json"; then
        same="yes"
    else
        same="**NO**"
    fi
    mbps="$(awk -v m="$mb" -v t="$base_mean" 'BEGIN { printf "%.0f", m / t }')"
    rows+=("| $n | $shape | $files | $settings | $mb | $base_wall | $mbps | $base_rss | $findings | $hash | $same |")

    if [ "$compare" != 1 ] || [ "$shape" != intune ]; then
        continue
    fi
    "$python" "$bench/compare.py" baselint "$work/report-$n-$shape.json" >"$work/pku2u-baselint-$n.txt"
    pku2u="$(wc -l <"$work/pku2u-baselint-$n.txt")"
    cmp_rows+=("| $n | baselint \`check\` (every rule) | $base_wall | $base_cpu | $base_rss | $pku2u | 1.00x | 1.00x | 1.00x | $findings findings in all |")

    # The floor: the least that reading and parsing the export for this one rule costs.
    measure "floor-$n" "$tr" "$work/floor-$n.txt" "$floor" "$dir"
    cmp_rows+=("| $n | floor: typed serde_json, PKU2U fields only (examples/pku2u_floor.rs) | $m_wall | $m_cpu | $m_rss | $(cat "$work/floor-$n.txt") (pairs) | $(ratio "$m_mean" "$base_mean") | $(ratio "$m_cpu" "$base_cpu") | $(ratio "$m_rss" "$base_rss") | baselint takes $(ratio "$base_mean" "$m_mean") the floor's time |")

    # The same two rules alone: what baselint costs for the work the Rego does.
    measure "baselint-select-$n" "$tr" "$work/report-select-$n.json" \
        "$baselint" check --format json --fail-on never \
        --select pku2u-disabled-on-entra-joined --select pku2u-disabled-on-hybrid-joined "$dir"
    "$python" "$bench/compare.py" baselint "$work/report-select-$n.json" >"$work/pku2u-select-$n.txt"
    check_same "baselint --select" "$work/pku2u-select-$n.txt" || true
    cmp_rows+=("| $n | baselint \`check --select\` the 2 PKU2U rules | $m_wall | $m_cpu | $m_rss | $(wc -l <"$work/pku2u-select-$n.txt") | $(ratio "$m_mean" "$base_mean") | $(ratio "$m_cpu" "$base_cpu") | $(ratio "$m_rss" "$base_rss") | |")

    if [ "$have_opa" = 1 ] && fits OPA 400; then
        # One process: merge the files in Python, evaluate in the Go engine.
        measure "opa-$n" "$tr" "$work/opa-$n.jsonl" "$python" "$bench/opa_eval.py" "$dir"
        "$python" "$bench/compare.py" rego "$work/opa-$n.jsonl" >"$work/pku2u-opa-$n.txt"
        check_same "OPA" "$work/pku2u-opa-$n.txt" || true
        split="$(sed -n 's/^opa_eval: merge \([0-9.]*\) s.*evaluation \([0-9.]*\) s.*/merge \1 s + load and eval \2 s (one run)/p' "$work/opa-$n.jsonl.err")"
        cmp_rows+=("| $n | OPA (Go engine via opa_eval.py): merge + eval | $m_wall | $m_cpu | $m_rss | $(wc -l <"$work/pku2u-opa-$n.txt") | $(ratio "$m_mean" "$base_mean") | $(ratio "$m_cpu" "$base_cpu") | $(ratio "$m_rss" "$base_rss") | $split |")
    fi

    if [ "$have_regorus" = 1 ] && fits regorus 100; then
        # regorus reads one input file: the merge writes it, then the CLI evaluates it.
        input="$work/input-$n.json"
        measure "merge-$n" "$tr" "$input" "$python" "$bench/tenant_input.py" "$dir"
        merge_mean="$m_mean"
        merge_wall="$m_wall"
        merge_rss="$m_rss"
        merge_cpu="$m_cpu"
        measure "regorus-eval-$n" "$tr" "$work/regorus-$n.json" \
            "$regorus" eval -d "$bench/pku2u.rego" -i "$input" data.pku2u.findings
        eval_mean="$m_mean"
        eval_wall="$m_wall"
        # Peak RSS of the two steps: the larger of the merge's and the evaluation's.
        eval_rss="$(awk -v a="$merge_rss" -v b="$m_rss" 'BEGIN { if (a == "n/a" || b == "n/a") print "n/a"; else print (a > b ? a : b) }')"
        "$python" "$bench/compare.py" rego "$work/regorus-$n.json" >"$work/pku2u-regorus-$n.txt"
        check_same "regorus" "$work/pku2u-regorus-$n.txt" || true
        total="$(awk -v a="$merge_mean" -v b="$eval_mean" 'BEGIN { printf "%.3f", a + b }')"
        total_cpu="$(awk -v a="$merge_cpu" -v b="$m_cpu" 'BEGIN { if (a == "n/a" || b == "n/a") print "n/a"; else printf "%.2f", a + b }')"
        cmp_rows+=("| $n | regorus: merge + eval | $total | $total_cpu | $eval_rss | $(wc -l <"$work/pku2u-regorus-$n.txt") | $(ratio "$total" "$base_mean") | $(ratio "$total_cpu" "$base_cpu") | $(ratio "$eval_rss" "$base_rss") | merge $merge_wall s (tenant_input.py, $(awk -v b="$(stat -c %s "$input")" 'BEGIN { printf "%.0f", b / 1e6 }') MB) + eval $eval_wall s |")
    fi
  done
done

# The generated tenant's PKU2U policies all take one path (a single Entra-joined or hybrid-joined
# group, no filter, no exclusion). To check that the Rego and baselint agree on every assignment
# shape, compare findings once more on a copy of the smallest tenant where every policy disables
# PKU2U (not timed).
semantics=""
if [ "$compare" = 1 ] && [ "${BENCH_SEMANTICS:-1}" = 1 ] && [ $((have_opa + have_regorus)) -gt 0 ] &&
    [[ " $shapes " == *" intune "* ]]; then
    read -r n _ <<<"$sizes"
    dir="$work/everywhere-$n"
    echo "== semantics check: every policy of the $n-policy tenant disables PKU2U ($dir)" >&2
    "$python" "$bench/disable_pku2u_everywhere.py" "$work/tenant-$n-intune" "$dir"
    "$baselint" check --format json --fail-on never \
        --select pku2u-disabled-on-entra-joined --select pku2u-disabled-on-hybrid-joined \
        "$dir" >"$work/everywhere-report-$n.json"
    "$python" "$bench/compare.py" baselint "$work/everywhere-report-$n.json" >"$work/everywhere-baselint-$n.txt"
    semantics="Semantics check ($n policies, every one disabling PKU2U): $(wc -l <"$work/everywhere-baselint-$n.txt") findings from baselint"
    if [ "$have_opa" = 1 ]; then
        "$python" "$bench/opa_eval.py" "$dir" >"$work/everywhere-opa-$n.jsonl"
        "$python" "$bench/compare.py" rego "$work/everywhere-opa-$n.jsonl" >"$work/everywhere-opa-$n.txt"
        if check_same "OPA, every policy disabling PKU2U" "$work/everywhere-opa-$n.txt" "$work/everywhere-baselint-$n.txt"; then
            semantics="$semantics, identical from OPA"
        else
            semantics="$semantics, **different from OPA**"
        fi
    fi
    if [ "$have_regorus" = 1 ]; then
        "$python" "$bench/tenant_input.py" "$dir" >"$work/everywhere-input-$n.json"
        "$regorus" eval -d "$bench/pku2u.rego" -i "$work/everywhere-input-$n.json" data.pku2u.findings \
            >"$work/everywhere-regorus-$n.json"
        "$python" "$bench/compare.py" rego "$work/everywhere-regorus-$n.json" >"$work/everywhere-regorus-$n.txt"
        if check_same "regorus, every policy disabling PKU2U" "$work/everywhere-regorus-$n.txt" "$work/everywhere-baselint-$n.txt"; then
            semantics="$semantics, identical from regorus"
        else
            semantics="$semantics, **different from regorus**"
        fi
    fi
    semantics="$semantics."
fi

echo
echo "baselint $("$baselint" --version | awk '{ print $2 }'), $(date -u +%Y-%m-%d), $(nproc) cores, $(free -h | awk '/^Mem:/ { print $2 }') RAM, seed $seed"
echo
echo "| policies | shape | files | settings | input MB | wall s (check --format json) | MB/s | peak RSS MB | findings | report sha256 (tenant folder left out) | identical on rerun |"
echo "|---:|---|---:|---:|---:|---|---:|---:|---:|---|---|"
printf '%s\n' "${rows[@]}"

if [ "${#cmp_rows[@]}" -gt 0 ]; then
    echo
    echo "The \`intune\` tenants: the floor, and the PKU2U rules in Rego (scripts/bench/pku2u.rego), against baselint, same files.$(
        [ "$have_opa" = 1 ] && printf ' OPA: opa-golib-python-bindings %s.' "$("$python" -m pip show opa-golib-python-bindings 2>/dev/null | sed -n 's/^Version: //p')")$(
        [ "$have_regorus" = 1 ] && printf ' regorus: %s.' "$("$regorus" --version 2>/dev/null | awk '{ print $NF }')")"
    echo "Ratios are to baselint's full \`check\` (wall time, CPU time, peak RSS); PKU2U findings: distinct (rule, policy, target), each tool's checked against baselint's."
    echo
    echo "| policies | tool | wall s | CPU s (1 run) | peak RSS MB | PKU2U findings | time ratio | CPU ratio | RSS ratio | notes |"
    echo "|---:|---|---|---:|---:|---:|---:|---:|---:|---|"
    printf '%s\n' "${cmp_rows[@]}"
fi
if [ -n "$semantics" ]; then
    echo
    echo "$semantics"
fi

if [ "${BENCH_PARSE:-1}" = 1 ]; then
    # Parse-only throughput per format (benches/parse.rs, divan): MB/s per reader.
    echo
    echo "Parse-only throughput (cargo bench --bench parse; median MB/s is the 'median' column of each row's throughput line):"
    echo
    cargo bench --quiet --bench parse 2>/dev/null | sed 's/^/    /'
fi

if [ "$mismatch" = 1 ]; then
    echo >&2
    echo "FAILED: a tool's PKU2U findings differ from baselint's (diffs above)." >&2
    exit 1
fi
