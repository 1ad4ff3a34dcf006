"""`python -m bench.fuzz_reader [--seed N] [--count N]` — mutation fuzzing of the reader (issue 23): mutants of the
template .xlsx and a small .xls (tests/hostile_files.mutants) are each read through data_loaders.isolated (a child
with the memory and time limits of every path). Prints one line per outcome that is not a plain result or a
sentence — an exception escaping read_file, a child that died (abort) or ran out of time, the reader's catch-all
sentence (a bug in our code, traceback in the log) — and a summary; exit 1 when there was any.

The test suite runs a few dozen of these (tests/data_loaders/test_safe_reading.py); this is the long run.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time

from data_loaders.isolated import read_file_isolated
from tests.hostile_files import mutants

BAD = {"died": "解析程序异常退出", "timeout": "秒仍未完成", "memory": "需要的内存超过", "bug": "解析程序出错"}


def classify(result) -> str:
    for kind, marker in BAD.items():
        if any(marker in p.message for p in result.problems):
            return kind
    if result.errors:
        return "sentence"
    return "read"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--timeout", type=float, default=20.0)
    args = parser.parse_args(argv)
    counts: collections.Counter = collections.Counter()
    slowest = (0.0, "")
    started = time.perf_counter()
    for name, data in mutants(args.seed, args.count):
        t = time.perf_counter()
        try:
            kind = classify(read_file_isolated(data, name, timeout_s=args.timeout, year=2024))
        except Exception as exc:  # noqa: BLE001 - what the fuzzing looks for
            kind = f"exception {exc.__class__.__name__}"
        took = time.perf_counter() - t
        slowest = max(slowest, (took, name))
        counts[kind] += 1
        if kind not in ("read", "sentence"):
            print(f"{name}: {kind} ({took:.1f} s)", flush=True)
    print(f"{args.count} mutants (seed {args.seed}) in {time.perf_counter() - started:.0f} s: "
          + ", ".join(f"{k} {v}" for k, v in counts.most_common()) + f"; slowest {slowest[1]} {slowest[0]:.2f} s")
    return 0 if set(counts) <= {"read", "sentence"} else 1


if __name__ == "__main__":
    sys.exit(main())
