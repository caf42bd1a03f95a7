#!/usr/bin/env bash
# End-to-end benchmark of `baselint check --format json` on synthetic tenants.
#
#   scripts/bench.sh                 # 1k and 10k policies
#   BENCH_LARGE=1 scripts/bench.sh   # also 50k (about 1.3 GB of JSON in the temp dir)
#
# Environment:
#   BENCH_SIZES  policy counts (default "1000 10000"; BENCH_LARGE=1 appends 50000)
#   BENCH_SEED   generator seed (default 42)
#   BENCH_RUNS   hyperfine runs per size (default 5; 50k uses 2)
#   BENCH_KEEP=1 keep the generated tenants (the script prints where they are)
#   TMPDIR       where the tenants are generated (never inside the repository)
#
# Timing uses hyperfine when installed (`apt-get install -y hyperfine`, `cargo install hyperfine`
# or `brew install hyperfine`), else one `/usr/bin/time -v` run per size. Peak RSS always comes
# from `/usr/bin/time -v` ("Maximum resident set size"; `apt-get install -y time`). The finding
# count and a hash of the JSON report are taken from two runs, which must agree.
# Prints a Markdown table. See docs/performance.md.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

sizes="${BENCH_SIZES:-1000 10000}"
if [ "${BENCH_LARGE:-0}" = 1 ]; then
    sizes="$sizes 50000"
fi
seed="${BENCH_SEED:-42}"
runs="${BENCH_RUNS:-5}"

echo "building release binaries..." >&2
cargo build --release --quiet --bin baselint --example gen_tenant
target_dir="${CARGO_TARGET_DIR:-$root/target}"
baselint="$target_dir/release/baselint"
gen="$target_dir/release/examples/gen_tenant"

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

# Seconds as a float from /usr/bin/time -v's "Elapsed (wall clock) time (h:mm:ss or m:ss): 0:01.23".
wall_seconds() {
    sed -n 's/.*Elapsed (wall clock) time[^:]*: //p' "$1" |
        awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.3f", s }'
}

rows=()
for n in $sizes; do
    dir="$work/tenant-$n"
    echo "== $n policies: generating into $dir" >&2
    "$gen" --policies "$n" --seed "$seed" --out "$dir" >"$work/gen-$n.txt"
    sed 's/^/   /' "$work/gen-$n.txt" >&2
    bytes="$(du -sb "$dir" | cut -f1)"
    mb="$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')"
    files="$(find "$dir" -type f | wc -l)"
    settings="$(sed -n 's/^ *settings: *//p' "$work/gen-$n.txt")"
    cmd=("$baselint" check --format json --fail-on never "$dir")

    # One measured run for peak RSS and the report; a second for the determinism check.
    rss_mb="n/a"
    if [ -n "$gnu_time" ]; then
        "$gnu_time" -v -o "$work/time-$n.txt" "${cmd[@]}" >"$work/report-$n.json"
        rss_kb="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time-$n.txt")"
        rss_mb="$(awk -v k="$rss_kb" 'BEGIN { printf "%.0f", k / 1024 }')"
        single="$(wall_seconds "$work/time-$n.txt")"
    else
        start="$(date +%s.%N)"
        "${cmd[@]}" >"$work/report-$n.json"
        single="$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')"
    fi
    "${cmd[@]}" >"$work/report-$n.again.json"
    findings="$(grep -o '"findings": [0-9]*' "$work/report-$n.json" | tail -1 | grep -o '[0-9]*$')"
    hash="$(sha256sum "$work/report-$n.json" | cut -c1-12)"
    if cmp -s "$work/report-$n.json" "$work/report-$n.again.json"; then
        same="yes"
    else
        same="**NO**"
    fi

    if [ "$have_hyperfine" = 1 ]; then
        r="$runs"
        if [ "$n" -ge 50000 ]; then r="${BENCH_RUNS:-2}"; fi
        echo "== $n policies: hyperfine ($r runs)" >&2
        hyperfine --warmup 1 --runs "$r" --style basic \
            --export-json "$work/hyperfine-$n.json" \
            "$(printf '%q ' "${cmd[@]}")>/dev/null" >&2
        mean="$(grep -o '"mean": [0-9.e+-]*' "$work/hyperfine-$n.json" | head -1 | awk '{ printf "%.3f", $2 }')"
        stddev="$(grep -o '"stddev": [0-9.e+-]*' "$work/hyperfine-$n.json" | head -1 | awk '{ printf "%.3f", $2 }')"
        wall="$mean ± $stddev"
    else
        mean="$single"
        wall="$single (1 run)"
    fi
    mbps="$(awk -v m="$mb" -v t="$mean" 'BEGIN { printf "%.0f", m / t }')"
    rows+=("| $n | $files | $settings | $mb | $wall | $mbps | $rss_mb | $findings | $hash | $same |")
done

echo
echo "baselint $("$baselint" --version | awk '{ print $2 }'), $(date -u +%Y-%m-%d), $(nproc) cores, $(free -h | awk '/^Mem:/ { print $2 }') RAM, seed $seed"
echo
echo "| policies | files | settings | input MB | wall s (check --format json) | MB/s | peak RSS MB | findings | report sha256 | identical on rerun |"
echo "|---:|---:|---:|---:|---|---:|---:|---:|---|---|"
printf '%s\n' "${rows[@]}"
