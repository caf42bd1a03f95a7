#!/usr/bin/env bash
# Run every fuzz target for N seconds (default 60) with cargo-fuzz (nightly), one after another.
#   fuzz/run-all.sh [SECONDS] [TARGET...]
# Crashes are written by libFuzzer to fuzz/artifacts/<target>/; the run goes on with the next
# target and the script lists what it found at the end. Needs: cargo install cargo-fuzz, and
# a nightly toolchain (rustup toolchain install nightly).
set -uo pipefail
fuzz="$(cd "$(dirname "$0")" && pwd)"
cd "$(dirname "$fuzz")"
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo +nightly fuzz list --fuzz-dir "$fuzz")
fi
[ -d "$fuzz/corpus" ] || "$fuzz/seed.sh"
status=()
for t in "${targets[@]}"; do
    mkdir -p "$fuzz/corpus/$t" "$fuzz/artifacts/$t"
    echo "== $t: ${seconds}s" >&2
    # FUZZ_BUILD_ARGS=-a builds with debug assertions (overflow checks, Span::new bounds).
    # shellcheck disable=SC2086
    if cargo +nightly fuzz run ${FUZZ_BUILD_ARGS:-} --fuzz-dir "$fuzz" "$t" "$fuzz/corpus/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$fuzz/artifacts/$t.log" 2>&1; then
        status+=("$t: ok ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$fuzz/artifacts/$t.log" | grep -o '[0-9]*$') runs)")
    else
        status+=("$t: FAILED, see fuzz/artifacts/$t.log and fuzz/artifacts/$t/")
    fi
done
printf '%s\n' "${status[@]}"
