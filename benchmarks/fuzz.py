"""Fuzz corpus of malformed input files, made from the demo county's own tables, and the long run.

``corpus(n, seed)`` yields ``n`` cases, each a file (name and bytes) and what the contract must
say of it: ``valid`` (the file is correct in a new form: another encoding, format, column or
row order, title rows), ``invalid`` (a required column gone, an impossible value, nothing to
evaluate, a file past a reading limit, garbage) or ``either`` (a mutation whose outcome depends
on where it landed: a flipped bit, a cut CSV).  Every case is derived by seeded mutation, so
the same ``seed`` gives the same files.

``python -m benchmarks.fuzz [N] [--seed S] [--workers W]`` (``make fuzz``) runs
``python -m dashboard evaluate`` on each file in a subprocess of its own, in an empty working
folder, and records its exit code, whether stderr holds a traceback, whether it aborted (killed
by a signal or status 134), its peak memory (``ru_maxrss`` from ``os.wait4``) and any file or
folder it left behind.  The counts go to ``benchmarks/results/fuzz.json``; the run fails when
any case tracebacks, aborts, exits 0 on an invalid file, refuses a valid one, exits other than
0 or 2, writes anything, or peaks at 1 GiB or more.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final, Literal

import numpy as np
import pandas as pd

Expect = Literal["valid", "invalid", "either"]

RESULTS: Final = Path(__file__).parent / "results"
MEMORY_LIMIT: Final = 1024**3  # a case peaking at 1 GiB or more fails the run
_CHILD_ADDRESS_SPACE: Final = 4 * 1024**3  # rlimit per child, so a blow-up cannot take the machine
_TIMEOUT_S: Final = 900

# Values written into one cell; (text, what it makes of a number column, of a text column).
HOSTILE_VALUES: Final[tuple[tuple[str, Expect, Expect], ...]] = (
    ("", "invalid", "invalid"),
    ("abc", "invalid", "valid"),
    ("-1", "invalid", "valid"),
    ("1.5", "either", "valid"),
    ("1e300", "invalid", "valid"),
    ("-1e300", "invalid", "valid"),
    ("inf", "invalid", "valid"),
    ("nan", "invalid", "valid"),
    ("99999999999999999999", "invalid", "valid"),
    (str(2**63 - 1), "invalid", "valid"),
    (str(2**63), "invalid", "valid"),
    (str(10**15), "either", "valid"),
    ("1,234", "either", "valid"),
    ("１２３", "either", "valid"),
    ("=1+1", "invalid", "valid"),
    ("=HYPERLINK(\"http://x\")", "invalid", "valid"),
    ("<script>alert(1)</script>", "invalid", "valid"),
    ("![x](http://host/x.png)", "invalid", "valid"),
    ("a\x1b[31mred\x07", "invalid", "valid"),
    ("\u202eevil", "invalid", "valid"),
    ("x" * 100_000, "invalid", "valid"),
    ("1\x002", "invalid", "either"),
)


@dataclass(frozen=True)
class Case:
    """One generated input file and what the contract must make of it."""

    name: str  # what was done, e.g. "value:books=1e300.csv"
    filename: str
    data: bytes
    expect: Expect


@lru_cache(maxsize=1)
def demo_schools() -> pd.DataFrame:
    """Return the demo county's 2024 schools table (canonical names), as the generator's seed."""
    from dashboard.store.demo import build_demo

    return build_demo().schools[2024].reset_index(drop=True)


def _chinese(frame: pd.DataFrame) -> pd.DataFrame:
    from dashboard.store.contract import schools_header_map

    return frame.rename(columns=schools_header_map("zh"))


def _csv(frame: pd.DataFrame, encoding: str = "utf-8", errors: str = "strict") -> bytes:
    return frame.to_csv(index=False).encode(encoding, errors=errors)


def _xlsx(frame: pd.DataFrame, title_rows: int = 0) -> bytes:
    out = io.BytesIO()
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, startrow=title_rows)
        if title_rows:
            writer.sheets["Sheet1"]["A1"] = "示范县 2024 学校基础数据"
    return out.getvalue()


def _parquet(frame: pd.DataFrame) -> bytes:
    out = io.BytesIO()
    frame.to_parquet(out, index=False)
    return out.getvalue()


_WRITERS: Final[dict[str, Callable[[pd.DataFrame], bytes]]] = {
    ".csv": _csv, ".xlsx": _xlsx, ".parquet": _parquet}


def _write(frame: pd.DataFrame, suffix: str) -> tuple[str, bytes]:
    """Return (file name, bytes) of ``frame`` in ``suffix``'s format, or as CSV where that
    format cannot hold it (control characters in XLSX, duplicate column names in Parquet)."""
    from openpyxl.utils.exceptions import IllegalCharacterError

    try:
        return f"schools{suffix}", _WRITERS[suffix](frame)
    except (ValueError, IllegalCharacterError):  # pyarrow's duplicate names
        return "schools.csv", _csv(frame)


def _valid_forms(schools: pd.DataFrame, rng: random.Random) -> list[Case]:
    """Return the demo table written correctly in every form the contract reads."""
    zh = _chinese(schools)
    shuffled = schools.sample(frac=1.0, random_state=rng.randrange(2**32))
    columns = list(schools.columns)
    rng.shuffle(columns)
    return [
        Case("form:utf8", "schools.csv", _csv(schools), "valid"),
        Case("form:utf8-bom-zh", "schools.csv", _csv(zh, "utf-8-sig"), "valid"),
        Case("form:gbk-zh", "schools.csv", _csv(zh, "gbk"), "valid"),
        Case("form:gb18030-zh", "schools.csv", _csv(zh, "gb18030"), "valid"),
        Case("form:utf16-zh", "schools.csv", _csv(zh, "utf-16"), "valid"),
        Case("form:big5-en", "schools.csv", _csv(schools, "big5", "replace"), "valid"),
        Case("form:xlsx-zh", "schools.xlsx", _xlsx(zh), "valid"),
        Case("form:xlsx-title", "schools.xlsx", _xlsx(zh, title_rows=2), "valid"),
        Case("form:parquet", "schools.parquet", _parquet(schools), "valid"),
        Case("form:rows-shuffled", "schools.csv", _csv(shuffled), "valid"),
        Case("form:columns-shuffled", "schools.csv", _csv(schools[columns]), "valid"),
    ]


def _specs() -> dict[str, object]:
    from dashboard.store.contract.spec import specs

    return {s.name: s for s in specs("schools")}


def _column_case(schools: pd.DataFrame, rng: random.Random, suffix: str) -> Case:
    """Drop, rename or duplicate one column."""
    specs = _specs()
    column = rng.choice(list(schools.columns))
    required = getattr(specs[column], "required", True)
    how = rng.choice(("drop", "rename", "duplicate"))
    if how == "drop":
        frame = schools.drop(columns=[column])
    elif how == "rename":
        frame = schools.rename(columns={column: column + "_x"})
    else:
        frame = pd.concat([schools, schools[[column]]], axis=1)
    expect: Expect = "invalid" if how == "duplicate" or required else "either"
    return Case(f"column-{how}:{column}", *_write(frame, suffix), expect)


def _value_case(schools: pd.DataFrame, rng: random.Random, suffix: str) -> Case:
    """Write one hostile value into one cell (every column gets its turn over many seeds)."""
    specs = _specs()
    column = rng.choice(list(schools.columns))
    text, as_number, as_text = rng.choice(HOSTILE_VALUES)
    spec = specs[column]
    dtype = getattr(spec, "dtype", "str")
    expect: Expect = as_number if dtype in ("int", "float") else as_text
    if dtype in ("enum", "bool") or getattr(spec, "digits", None) or column in (
            "school_id", "parent_school_id", "township", "county_name"):
        expect = "either"  # codes and keys: the value may or may not be one the rules accept
    if text == "" and getattr(spec, "nullable", False):
        expect = "either"
    if suffix == ".xlsx" and text.startswith("="):
        expect = "either"  # a formula: read as its cached value, which openpyxl leaves empty
    frame = schools.astype({column: object})
    frame.iat[rng.randrange(len(frame)), frame.columns.get_loc(column)] = text
    if suffix == ".parquet":  # one type per column: the column as text, empty cells kept
        frame[column] = frame[column].map(lambda v: None if pd.isna(v) else str(v))
    return Case(f"value:{column}={text[:20]!r}", *_write(frame, suffix), expect)


def _whole_file_case(schools: pd.DataFrame, rng: random.Random, suffix: str) -> Case:
    """Damage the whole file: empty, header only, garbage, cut short, bits flipped, no pupils,
    every row twice, absurd magnitudes."""
    good = _WRITERS[suffix](schools)
    kind = rng.choice(("empty", "header", "garbage", "truncated", "bitflip", "zero_pupils",
                       "duplicate_rows", "absurd"))
    name = f"schools{suffix}"
    if kind == "empty":
        return Case(kind, name, b"", "invalid")
    if kind == "header":
        return Case(kind, name, _WRITERS[suffix](schools.iloc[:0]), "invalid")
    if kind == "garbage":
        return Case(kind, name, rng.randbytes(rng.randrange(1, 4096)), "invalid")
    if kind == "truncated":
        cut = good[: rng.randrange(1, len(good))]
        return Case(kind, name, cut, "either" if suffix == ".csv" else "invalid")
    if kind == "bitflip":
        data = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        return Case(kind, name, bytes(data), "either")
    if kind == "zero_pupils":
        pupils = [c for c in schools.columns if c.startswith("students_")]
        return Case(kind, name, _WRITERS[suffix](schools.assign(**{c: 0 for c in pupils})),
                    "invalid")
    if kind == "duplicate_rows":
        return Case(kind, name, _WRITERS[suffix](pd.concat([schools, schools])), "invalid")
    column = rng.choice(["teachers_primary", "books", "sports_area_m2", "computers",
                         "building_area_m2", "equipment_value_yuan"])
    return Case(f"absurd:{column}", name,
                _WRITERS[suffix](schools.assign(**{column: schools[column] * 10**12})), "either")


def _many_rows(schools: pd.DataFrame, rows: int) -> pd.DataFrame:
    """Return ``rows`` schools: copies of the demo's, every id (and parent id) made unique."""
    copies = -(-rows // len(schools))
    parts = []
    for i in range(copies):
        part = schools.copy()
        part["school_id"] = part["school_id"] + f"-{i}"
        part["parent_school_id"] = part["parent_school_id"].map(
            lambda p, i=i: None if p is None or p != p else f"{p}-{i}")
        parts.append(part)
    return pd.concat(parts, ignore_index=True).iloc[:rows]


def _big_cases(schools: pd.DataFrame) -> list[Case]:
    """The large files: as many rows as the limit allows, 100k rows, 5,000 columns, a stray
    cell at XFD1048576."""
    from openpyxl import load_workbook

    from dashboard.store.contract.limits import MAX_ROWS

    wide = pd.concat([schools, pd.DataFrame(
        np.ones((len(schools), 5_000), dtype=np.int64),
        columns=[f"extra_{i}" for i in range(5_000)])], axis=1)
    book = load_workbook(io.BytesIO(_xlsx(schools)))
    book.active["XFD1048576"] = "x"
    stray = io.BytesIO()
    book.save(stray)
    return [Case("big:limit-rows", "schools.csv", _csv(_many_rows(schools, MAX_ROWS - 1)),
                 "either"),
            Case("big:100k-rows", "schools.csv", _csv(_many_rows(schools, 100_000)), "invalid"),
            Case("big:5000-columns", "schools.csv", _csv(wide), "invalid"),
            Case("big:stray-cell", "schools.xlsx", stray.getvalue(), "invalid")]


def corpus(n: int, seed: int = 0, *, big: bool = True) -> Iterator[Case]:
    """Yield ``n`` cases: the valid forms, then (with ``big``) the large files, then seeded
    column, value and whole-file mutations in CSV, XLSX and Parquet."""
    rng = random.Random(seed)
    schools = demo_schools()
    fixed = _valid_forms(schools, rng) + (_big_cases(schools) if big else [])
    yield from fixed[:n]
    makers = (_column_case, _value_case, _value_case, _whole_file_case)
    for _ in range(n - min(n, len(fixed))):
        suffix = rng.choice((".csv", ".csv", ".xlsx", ".parquet"))
        yield rng.choice(makers)(schools, rng, suffix)


# ---- the long run (make fuzz)


@dataclass(frozen=True)
class Outcome:
    name: str
    expect: Expect
    returncode: int
    traceback: bool
    abort: bool
    peak_bytes: int
    written: tuple[str, ...]
    seconds: float

    @property
    def failures(self) -> list[str]:
        """Return what is wrong with this outcome (empty when the case passed)."""
        found = []
        if self.traceback:
            found.append("traceback")
        if self.abort:
            found.append("abort")
        if self.returncode not in (0, 2) and not self.abort:
            found.append("exit_code")
        if self.returncode == 0 and self.expect == "invalid":
            found.append("silent_success")
        if self.returncode != 0 and self.expect == "valid":
            found.append("refused_valid")
        if self.written:
            found.append("written")
        if self.peak_bytes >= MEMORY_LIMIT:
            found.append("memory")
        return found


def _limit_child() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (_CHILD_ADDRESS_SPACE, _CHILD_ADDRESS_SPACE))


def run_case(case: Case, index: int, workdir: Path) -> Outcome:
    """Run ``python -m dashboard evaluate`` on one case in a folder of its own; record it."""
    folder = workdir / f"case-{index:05d}"
    folder.mkdir()
    (folder / case.filename).write_bytes(case.data)
    before = set(os.listdir(folder))
    lang = "en" if index % 2 else "zh"
    argv = [sys.executable, "-m", "dashboard", "evaluate", case.filename, "--lang", lang,
            *(["--json"] if index % 3 else [])]
    env = {**os.environ, "JUNHENG_DATA": str(folder / "data"), "JUNHENG_GEO": str(folder / "geo")}
    start = time.perf_counter()
    with open(folder / ".stdout", "wb") as out, open(folder / ".stderr", "wb") as err:
        proc = subprocess.Popen(argv, cwd=folder, stdout=out, stderr=err, env=env,
                                preexec_fn=_limit_child)
        timer = threading.Timer(_TIMEOUT_S, proc.kill)  # a hang shows as killed: an abort
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            raise
        finally:
            timer.cancel()
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    stderr = (folder / ".stderr").read_bytes()
    written = sorted(set(os.listdir(folder)) - before - {".stdout", ".stderr"})
    outcome = Outcome(case.name, case.expect, code, b"Traceback" in stderr,
                      code < 0 or code == 134 or b"terminate called" in stderr,
                      usage.ru_maxrss * 1024, tuple(written), time.perf_counter() - start)
    if not outcome.failures:
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()
    return outcome


def summarise(outcomes: list[Outcome], seconds: float, seed: int, requested: int) -> dict:
    """Return the counts of a run, and the failing cases (at most 50, with their names)."""
    failures = Counter(f for o in outcomes for f in o.failures)
    failing = [{"name": o.name, "expect": o.expect, "returncode": o.returncode,
                "failures": o.failures} for o in outcomes if o.failures]
    return {
        "command": f"python -m benchmarks.fuzz {requested} --seed {seed}",
        "cases": len(outcomes),
        "seed": seed,
        "expected": dict(Counter(o.expect for o in outcomes)),
        "exit_codes": {str(k): v for k, v in sorted(Counter(o.returncode for o in outcomes).items())},
        "tracebacks": failures["traceback"],
        "aborts": failures["abort"],
        "silent_successes": failures["silent_success"],
        "refused_valid": failures["refused_valid"],
        "other_exit_codes": failures["exit_code"],
        "cases_that_wrote": failures["written"],
        "peak_memory_mib": round(max((o.peak_bytes for o in outcomes), default=0) / 2**20, 1),
        "over_memory_limit": failures["memory"],
        "slowest_case_s": round(max((o.seconds for o in outcomes), default=0.0), 2),
        "wall_s": round(seconds, 1),
        "failing": failing[:50],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.fuzz", description=__doc__)
    p.add_argument("cases", nargs="?", type=int, default=2_000)
    p.add_argument("--seed", type=int, default=14)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", type=Path, default=RESULTS / "fuzz.json")
    p.add_argument("--max-minutes", type=float, default=None,
                   help="start no case after this many minutes; the report says how many ran")
    args = p.parse_args(argv)
    start = time.perf_counter()
    stop = None if args.max_minutes is None else start + 60 * args.max_minutes

    def run(case: Case, index: int) -> Outcome | None:
        if stop is not None and time.perf_counter() > stop:
            return None
        return run_case(case, index, workdir)

    with tempfile.TemporaryDirectory(prefix="junheng-fuzz-") as tmp:
        workdir = Path(tmp)
        with ThreadPoolExecutor(args.workers) as pool:
            futures = [pool.submit(run, c, i) for i, c in enumerate(corpus(args.cases, args.seed))]
            outcomes = []
            for i, f in enumerate(futures, start=1):
                if (outcome := f.result()) is not None:
                    outcomes.append(outcome)
                if i % 100 == 0:
                    print(f"{i}/{len(futures)} cases", flush=True)
        report = summarise(outcomes, time.perf_counter() - start, args.seed, args.cases)
    report["requested"] = args.cases
    report["complete"] = len(outcomes) == args.cases
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in report.items() if k != "failing"}, indent=2))
    for f in report["failing"]:
        print("FAIL", f, file=sys.stderr)
    if not report["complete"]:
        print(f"only {len(outcomes)} of {args.cases} cases ran (--max-minutes)", file=sys.stderr)
    return 1 if report["failing"] or not report["complete"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
