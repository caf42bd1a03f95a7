#!/usr/bin/env python3
"""Evaluate scripts/bench/pku2u.rego with OPA (the Go engine) over a tenant folder.

    opa_eval.py TENANT_DIR [POLICY.rego]

Prints the findings (data.pku2u.findings) as sorted JSON lines, and on standard error how long
the merge and the evaluation took. OPA comes from PyPI as a Go c-shared library:

    pip install --ignore-requires-python opa-golib-python-bindings

(the package declares Python >= 3.14 but works on 3.11). The merged input is handed to the Go
side as the JSON bytes tenant_input.py builds, as `opa eval -i input.json` would read them,
rather than parsed into Python objects and serialised again by the wrapper's public API: that
would add seconds of Python JSON work that are not OPA's. Only if the wrapper's internals change
does this fall back to the public API.
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tenant_input  # noqa: E402  (beside this file)

try:
    from opa_bindings import OpaEngine
    from opa_bindings import engine as opa_engine
except ImportError:
    print(
        "opa_eval.py: the OPA bindings are not installed:\n"
        "  pip install --ignore-requires-python opa-golib-python-bindings",
        file=sys.stderr,
    )
    sys.exit(3)

QUERY = "pku2u.findings"


def evaluate(engine: "OpaEngine", raw_input: bytes):
    """data.pku2u.findings for the input given as JSON bytes."""
    call = getattr(engine, "_call", None)
    lib = getattr(engine, "_lib", None)
    cstr = getattr(opa_engine, "_cstr", None)
    if call is None or lib is None or cstr is None or not hasattr(lib, "OpaEvalDocument"):
        return engine.eval_document(QUERY, json.loads(raw_input))
    with engine._eval_lock:
        engine._eval_reset()
        envelope = call(lib.OpaEvalDocument, cstr(QUERY), raw_input, 0, 0)
        rs = engine._eval_result(envelope)
    if not rs or not rs[0].get("expressions"):
        raise opa_engine.OpaUndefinedError(f"data.{QUERY}")
    return rs[0]["expressions"][0]["value"]


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print("usage: opa_eval.py TENANT_DIR [POLICY.rego]", file=sys.stderr)
        return 2
    tenant = Path(sys.argv[1])
    policy = Path(sys.argv[2]) if len(sys.argv) == 3 else Path(__file__).with_name("pku2u.rego")

    start = time.perf_counter()
    raw = tenant_input.merged_input(tenant)
    merged = time.perf_counter()
    with OpaEngine() as engine:
        engine.add_policy(policy.name, policy.read_text(encoding="utf-8"))
        findings = evaluate(engine, raw)
    done = time.perf_counter()

    lines = sorted(json.dumps(f, sort_keys=True, ensure_ascii=False) for f in findings)
    sys.stdout.write("".join(line + "\n" for line in lines))
    print(
        f"opa_eval: merge {merged - start:.3f} s ({len(raw) / 1e6:.1f} MB), "
        f"evaluation {done - merged:.3f} s, {len(lines)} findings",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
