"""Run every benchmark module (``bench_*.py`` exposing ``run() -> dict``) and write JSON figures.

Each module's figures go to ``benchmarks/results/<name>.json``; a short table is printed.
``python -m benchmarks engine pages`` runs only the named modules.
"""

from __future__ import annotations

import importlib
import json
import platform
import sys
import time
from pathlib import Path

from benchmarks.timing import host_speed

HERE = Path(__file__).parent
RESULTS = HERE / "results"


def _modules(names: list[str]) -> list[str]:
    found = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if not names:
        return found
    wanted = [f"bench_{n}" if not n.startswith("bench_") else n for n in names]
    missing = [w for w in wanted if w not in found]
    if missing:
        raise SystemExit(f"no such benchmark: {missing}; have {found}")
    return wanted


def _print_table(name: str, figures: dict) -> None:
    print(f"\n## {name}")
    for key, fig in figures.get("figures", {}).items():
        if isinstance(fig, dict) and "median_s" in fig:
            target = fig.get("target_s")
            mark = "" if target is None else ("  ok" if fig["median_s"] <= target else "  OVER TARGET")
            floor = f"  floor {fig['floor_median_s'] * 1000:9.2f} ms" if "floor_median_s" in fig else ""
            tgt = f"  target {target * 1000:9.1f} ms" if target is not None else ""
            print(f"  {key:<46} {fig['median_s'] * 1000:10.2f} ms{floor}{tgt}{mark}")
        else:
            print(f"  {key:<46} {fig}")


def main(argv: list[str]) -> int:
    RESULTS.mkdir(exist_ok=True)
    for mod_name in _modules(argv):
        mod = importlib.import_module(f"benchmarks.{mod_name}")
        before = host_speed()
        t0 = time.perf_counter()
        figures = mod.run()
        wall = time.perf_counter() - t0
        # the host's speed before and after, to read the figures against (benchmarks.timing)
        figures["machine"] = {"python": platform.python_version(), "processor": platform.machine(),
                              "cpus": __import__("os").cpu_count(),
                              "host_speed_before": before, "host_speed_after": host_speed()}
        figures["wall_s"] = wall
        name = mod_name.removeprefix("bench_")
        (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")
        _print_table(name, figures)
    print(f"\nJSON written to {RESULTS}/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
