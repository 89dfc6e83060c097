"""``python -m benchmarks``: every benchmark of this folder at its smoke size, one after another.

A benchmark is a module here with ``main(argv)`` and ``SMOKE_ARGS``, the arguments that
make it run in seconds. CI runs this (``.ci/run``), so a benchmark that breaks fails CI
instead of leaving a figure in the README that no command reproduces; a module without
``SMOKE_ARGS`` fails it too, so none is skipped by omission. The full sizes stay manual:
the README gives each figure's command.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main() -> int:
    names = sorted(
        info.name
        for info in pkgutil.iter_modules([str(Path(__file__).parent)])
        if not info.name.startswith("_")
    )
    if not names:
        print("benchmarks: no benchmark found", file=sys.stderr)
        return 1
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        smoke = getattr(module, "SMOKE_ARGS", None)
        if smoke is None or not callable(getattr(module, "main", None)):
            print(f"benchmarks.{name}: needs main(argv) and SMOKE_ARGS", file=sys.stderr)
            return 1
        print(f"== benchmarks.{name} {' '.join(smoke)}", flush=True)
        started = time.perf_counter()
        module.main(list(smoke))  # an exception fails the run, with its traceback
        print(f"== benchmarks.{name}: {time.perf_counter() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
