#!/usr/bin/env bash
# baselint on Windows, from Linux: clippy for the x86_64-pc-windows-gnu target, then the whole
# test suite built for Windows and run under wine (paths with drives and backslashes, files that
# cannot be removed while open, positioned reads through seek_read).
#   scripts/test-windows.sh           clippy, then the tests under wine
#   scripts/test-windows.sh --check   clippy only (needs the target, not wine or a linker)
# Needs: rustup target add x86_64-pc-windows-gnu; for the tests also a MinGW-w64 linker and wine
# (Debian: apt-get install gcc-mingw-w64-x86-64 wine64). Builds into target/windows.
# Exits 0 with a message when the target (or, for the tests, wine or the linker) is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-pc-windows-gnu
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target/windows}"

if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
    echo "test-windows: skipped: the $target target is not installed (rustup target add $target)" >&2
    exit 0
fi
cargo clippy --target "$target" --all-targets --locked -- -D warnings
[ "${1:-}" = "--check" ] && exit 0

if ! command -v wine >/dev/null || ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
    echo "test-windows: tests skipped: wine or x86_64-w64-mingw32-gcc is missing" >&2
    exit 0
fi
export WINEDEBUG=-all
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine
# Rust's standard library draws random numbers from bcryptprimitives.dll's ProcessPrng
# (Windows 10 and later), which wine before 9.0 lacks: give the wine prefix a small one that
# asks RtlGenRandom, as Windows' own does.
prefix="${WINEPREFIX:-$HOME/.wine}"
system32="$prefix/drive_c/windows/system32"
wine cmd /c exit >/dev/null 2>&1 || true # creates the prefix on first use
if [ ! -e "$system32/bcryptprimitives.dll" ]; then
    shim="$(mktemp -d)"
    cat >"$shim/bcp.c" <<'EOF'
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID, ULONG);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG part = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, part)) return FALSE;
        data += part;
        len -= part;
    }
    return TRUE;
}
EOF
    printf 'LIBRARY bcryptprimitives\nEXPORTS\nProcessPrng\n' >"$shim/bcp.def"
    x86_64-w64-mingw32-gcc -shared -O2 -o "$system32/bcryptprimitives.dll" \
        "$shim/bcp.c" "$shim/bcp.def" -ladvapi32
    rm -rf "$shim"
fi
cargo test --target "$target" --locked
