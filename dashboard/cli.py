"""The command line: ``python -m dashboard evaluate|profiles|demo|template|import|boundaries|
snapshots|compare|plan|deck|report …`` (texts from the catalogue)."""

from __future__ import annotations

import argparse
import json
import math
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.i18n import LANGS, t

__all__ = ["main", "json_text"]

EXIT_BAD_INPUT = 2


def _load_schools(path: Path, lang: str) -> tuple[pd.DataFrame, pd.DataFrame | None, list[str]]:
    """Return (schools frame, county-items frame or None, warnings as text) from a snapshot
    folder or a schools file (a file has no county table)."""
    from dashboard.store.contract import ContractError, load_schools
    from dashboard.store.snapshots import read_snapshot

    if path.is_dir():
        snap = read_snapshot(path, lang=lang)
        return snap.schools, snap.county, []
    if not path.exists():
        raise FileNotFoundError(t("cli.error.no_such_path", lang, path=str(path)))
    result = load_schools(path, lang=lang)
    if not result.ok:
        raise ContractError(result.violations)
    return result.frame, None, [v.message(lang) for v in result.warnings]


def _bad_input(exc: Exception, path: str, lang: str) -> int:
    """Print what is wrong with the input on stderr (every contract violation); return 2."""
    from dashboard.store.contract import ContractError

    if isinstance(exc, ContractError):
        files = ", ".join(dict.fromkeys(v.file for v in exc.errors)) or path  # where they are
        print(t("cli.error.bad_input", lang, path=files, n=len(exc.errors)), file=sys.stderr)
        for v in exc.violations:  # a warning among them says it is one
            print("  " + v.listed(lang), file=sys.stderr)
    else:
        print(str(exc), file=sys.stderr)
    return EXIT_BAD_INPUT


def _json_safe(value: object) -> object:
    """Return ``value`` with every non-finite float (NaN, ±inf) as None and numpy scalars as
    Python numbers, recursively through dicts, lists and tuples."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_text(value: object) -> str:
    """Return ``value`` as indented JSON text ending in a newline, built completely before any
    of it is written: non-finite numbers become ``null`` (never ``inf``/``NaN``) and the text
    is checked with ``allow_nan=False``, so a value JSON cannot hold raises here, before the
    first byte goes out.  Every JSON the CLI prints or writes goes through this function.

    >>> json.loads(json_text({"mean": float("inf"), "n": np.int64(1)}))
    {'mean': None, 'n': 1}
    """
    return json.dumps(_json_safe(value), ensure_ascii=False, indent=2, allow_nan=False) + "\n"


NAME_WIDTH = 44  # display columns of the indicator column (id and official short name)


def _width(text: str) -> int:
    """Return the display width of ``text`` in a terminal (CJK characters take two columns)."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    """Return ``text`` padded with spaces to ``width`` display columns (left- or right-aligned)."""
    fill = " " * max(width - _width(text), 0)
    return fill + text if right else text + fill


def _status(passed: bool, near: bool, lang: str) -> str:
    s = t("status.pass" if passed else "status.fail", lang)
    return f"{s}（{t('status.near', lang)}）" if near and lang == "zh" else (
        f"{s} ({t('status.near', lang)})" if near else s)


def _verdict_lines(v, lang: str) -> list[str]:
    """Return a verdict (dashboard.method.verdict) as text: its status and reason, then each
    component's."""
    lines = [t("verdict.cli.line", lang, status=t(f"status.{v.status}", lang), text=v.text)]
    for c in v.components:
        part = t(f"verdict.part_title.{c.kind}", lang)
        if v.stage is None and c.stage:
            part = t("verdict.part_stage", lang, stage=t(f"stage.{c.stage}", lang), part=part)
        lines.append(t("verdict.cli.component", lang, part=part,
                       status=t(f"status.{c.status}", lang), text=c.text))
    return lines


def render_text(ev, county_code: str, year: int, schemes: tuple[str, ...], lang: str,
                county=None, facts=None) -> str:
    """Return the readable evaluation table of one county and year in ``lang``, with the
    county's verdict of each stage × scheme and of each scheme (``county``: the county-items
    table; None: those items lack data)."""
    from dashboard.method.standards import INDICATORS, STAGES
    from dashboard.method.verdict import evaluation_verdicts
    from dashboard.ui.format import display_unit, fmt_cv, fmt_value

    verdicts = evaluation_verdicts(ev, county_code, year, county=county, lang=lang, facts=facts)
    lines = [t("cli.title", lang, county=county_code, year=year)]
    if facts is not None:  # a profile was chosen: say the scope the verdicts were made with
        from dashboard.ui.checklist import scope_text

        lines += [f"  {x}" for x in scope_text(ev, facts.profile, lang)]
    sel = lambda df: df[(df["county_code"] == county_code) & (df["year"] == year)]  # noqa: E731
    ind, comp, ver = sel(ev.indicators), sel(ev.composites), sel(ev.verdicts)
    for stage in STAGES:
        for scheme in schemes:
            rows = ind[(ind["stage"] == stage) & (ind["scheme"] == scheme)]
            if rows.empty:
                continue
            v = ver[(ver["stage"] == stage) & (ver["scheme"] == scheme)].iloc[0]
            lines.append("")
            lines.append(f"== {t(f'stage.{stage}', lang)} · {t(f'scheme.{scheme}', lang)} "
                         f"({t('cli.units', lang, n=int(v['units']))}) ==")
            lines.append(f"  {_pad(t('cli.col.indicator', lang), NAME_WIDTH)}"
                         f"{_pad(t('cli.col.mean', lang), 12, True)}  "
                         f"{_pad(t('cli.col.unit', lang), 18)}{_pad(t('cli.col.cv', lang), 10, True)}  "
                         f"{t('cli.col.status', lang)}")
            for r in rows.itertuples(index=False):
                spec = INDICATORS[r.indicator]
                status = _status(bool(r.passed), bool(r.near), lang) if scheme == "quality" else ""
                name = f"{r.indicator} {spec.short_zh if lang == 'zh' else spec.short_en}"
                lines.append(f"  {_pad(name, NAME_WIDTH)}"
                             f"{_pad(fmt_value(r.mean, r.indicator, lang, unit=False), 12, True)}  "
                             f"{_pad(display_unit(r.indicator, lang), 18)}{_pad(fmt_cv(r.cv), 10, True)}"
                             f"  {status}")
            if scheme == "basic":
                c = comp[comp["stage"] == stage].iloc[0]
                lines.append("  " + t("cli.composite", lang, cv=fmt_cv(c["composite_cv"]),
                                      threshold=f"{c['threshold']:.2f}",
                                      status=_status(bool(c["passed"]), bool(c["near"]), lang)))
            else:
                lines.append("  " + t("cli.quality_verdict", lang, failing=int(v["failing_indicators"]),
                                      threshold=f"{v['threshold']:.2f}",
                                      status=_status(bool(v["passed"]), bool(v["near"]), lang)))
            lines.append("  " + t("cli.school_rule", lang, failing=int(v["failing_units"]), units=int(v["units"])))
            if (scheme, stage) in verdicts:
                lines += ["  " + x for x in _verdict_lines(verdicts[(scheme, stage)], lang)]
    for scheme in schemes:
        if (scheme, None) in verdicts:
            overall = verdicts[(scheme, None)]
            lines += ["", t("verdict.cli.overall", lang, scheme=t(f"scheme.{scheme}", lang),
                            status=t(f"status.{overall.status}", lang))]
            lines += ["  " + x for x in _verdict_lines(overall, lang)]
    return "\n".join(lines)


def _report(ev, county_code: str, year: int, schemes: tuple[str, ...], county, lang: str,
            facts=None) -> dict:
    """Return the JSON report (engine.to_report) with the county's verdicts beside it: a
    ``verdict`` object in each stage × scheme and, per scheme over its stages, in the
    top-level ``verdict``; with ``facts`` (a profile chosen), also ``profile``, ``scope`` and
    the ``checklist`` (dashboard.ui.checklist.checklist_records)."""
    from dashboard.method.engine import to_report
    from dashboard.method.verdict import evaluation_verdicts

    rep = to_report(ev, county_code, year, schemes)
    verdicts = evaluation_verdicts(ev, county_code, year, county=county, lang=lang, facts=facts)
    for stage, by_scheme in rep["stages"].items():
        for scheme, body in by_scheme.items():
            if (scheme, stage) in verdicts:
                body["verdict"] = verdicts[(scheme, stage)].as_dict()
    rep["verdict"] = {s: verdicts[(s, None)].as_dict() for s in schemes if (s, None) in verdicts}
    if facts is not None:
        from dashboard.ui.checklist import checklist_report

        rep.update(checklist_report(ev, county, county_code, year, lang, facts))
    return rep


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Evaluate a snapshot folder or a schools file; print text or the JSON report."""
    from dashboard.method.engine import evaluate
    from dashboard.method.standards import SCHEMES
    from dashboard.store.contract import ContractError
    from dashboard.store.snapshots import SnapshotError

    lang = args.lang
    try:
        schools, county, warnings = _load_schools(Path(args.path), lang)
    except (ContractError, SnapshotError, FileNotFoundError) as exc:
        return _bad_input(exc, args.path, lang)
    for w in warnings:
        print(t("cli.warning", lang, text=w), file=sys.stderr)
    schemes = SCHEMES if args.scheme == "all" else (args.scheme,)
    if schools.empty:
        print(t("cli.error.no_schools", lang, path=args.path), file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        params, facts = _rule_args(args, schools, lang)
    except (ContractError, FileNotFoundError, ValueError) as exc:
        return _bad_input(exc, args.classes or args.rooms or args.path, lang)
    ev = evaluate(schools, params, schemes=schemes)
    if ev.indicators.empty:  # no stage of any county has a school with pupils
        print(t("cli.error.no_pupils", lang, path=args.path), file=sys.stderr)
        return EXIT_BAD_INPUT
    pairs = ev.county_years()
    if args.county:
        pairs = [p for p in pairs if p[0] == args.county]
        if not pairs:
            print(t("cli.error.no_county", lang, county=args.county), file=sys.stderr)
            return EXIT_BAD_INPUT
    if args.json:
        reports = [_report(ev, c, y, schemes, county, lang, facts) for c, y in pairs]
        sys.stdout.write(json_text(reports[0] if len(reports) == 1 else reports))
    else:
        print("\n\n".join(render_text(ev, c, y, schemes, lang, county, facts) for c, y in pairs))
    return 0


def _known_profile(profile: str | None, lang: str) -> None:
    """Raise ValueError naming the known profiles when ``profile`` (given) is none of them."""
    from dashboard.method.profiles import profile_ids

    if profile is not None and profile not in profile_ids():
        raise ValueError(t("rules.cli.unknown_profile", lang, id=profile, known=", ".join(profile_ids())))


def _rule_args(args: argparse.Namespace, schools: pd.DataFrame, lang: str):
    """Return (EvalParams, RuleFacts or None) from --profile, --teaching-points, --classes and
    --rooms; ValueError names an unknown profile, ContractError a bad class or room file."""
    from dashboard.method.profiles import load_profile
    from dashboard.method.profiles_county import RuleFacts
    from dashboard.method.standards import DEFAULT_PARAMS
    from dashboard.store.contract import ContractError
    from dashboard.store.contract.facts import load_classes, load_rooms

    params = DEFAULT_PARAMS.with_(tp_basic=args.teaching_points)
    if args.profile is None and not (args.classes or args.rooms):
        return params, None
    _known_profile(args.profile, lang)
    profile = load_profile(args.profile).id
    rows = {}
    for name, path, load in (("classes", args.classes, load_classes), ("rooms", args.rooms, load_rooms)):
        if path:
            result = load(path, schools=schools, lang=lang)
            if not result.ok:
                raise ContractError(result.violations)
            rows[name] = result.frame
    return params.with_(province_profile=profile), RuleFacts(profile=profile, **rows)


def cmd_profiles(args: argparse.Namespace) -> int:
    """List the rule profiles (id, name, rule, source)."""
    from dashboard.method.profiles import profile_listing

    listing = profile_listing(args.lang)
    if args.json:
        sys.stdout.write(json_text(listing))
        return 0
    for p in listing:
        print(f"{p['id']}\t{p['name']}\t{p['rule']}\t{p['source_title']}")  # the document, not its file
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Build the demo snapshots (data/) and geography (geo/) under --out."""
    from dashboard.store.demo import DEMO_SEED, write_demo

    out = Path(args.out)
    paths = write_demo(out / "data", out / "geo", seed=args.seed if args.seed is not None else DEMO_SEED)
    for p in paths:
        print(t("cli.demo.written", args.lang, path=str(p)))
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    """Write the fill-in templates (schools, teachers, county items) into --out."""
    from dashboard.store.templates import write_templates

    try:
        paths = write_templates(args.out, args.lang)
    except FileExistsError as exc:
        print(t("cli.template.exists", args.lang, path=str(exc)), file=sys.stderr)
        return EXIT_BAD_INPUT
    for path in paths:
        print(t("cli.demo.written", args.lang, path=str(path)))
    return 0


def _print_preview(pv, lang: str) -> None:
    """Print what an import would create, its warnings and the change from the year before."""
    from dashboard.store.compare import school_lines
    from dashboard.store.importing import preview_lines

    lines = preview_lines(pv, lang)
    print(lines[0])
    for v in pv.staged.warnings:
        print("  " + t("import.warning", lang, message=v.message(lang)))
    print(*lines[1:], sep="\n")
    for line in school_lines(pv.diff, lang) if pv.diff is not None else ():
        print("  " + line)


def cmd_import(args: argparse.Namespace) -> int:
    """Check the files, show the preview and, unless --dry-run, write the new snapshot."""
    from dashboard.store.contract import ContractError
    from dashboard.store.importing import free_snapshot_id, preview, stage_import, write_staged
    from dashboard.store.snapshots import SnapshotError

    lang, root = args.lang, Path(args.out)
    try:
        for path in (args.schools, args.teachers, args.county_items, args.classes, args.rooms):
            if path is not None and not Path(path).is_file():
                raise FileNotFoundError(t("cli.error.no_such_path", lang, path=str(path)))
        staged = stage_import(args.schools, teachers_path=args.teachers,
                              county_path=args.county_items, sheet=args.sheet, year=args.year,
                              county=args.county, lang=lang, classes_path=args.classes,
                              rooms_path=args.rooms)
        _print_preview(preview(root, staged, lang), lang)
        if args.dry_run:
            print(t("import.dry_run", lang))
            return 0
        path = write_staged(root, args.id or free_snapshot_id(root, staged), staged, lang)
    except (ContractError, SnapshotError, FileNotFoundError) as exc:
        return _bad_input(exc, str(args.schools), lang)
    except OSError as exc:  # a full disk, a read-only folder: the write left nothing behind
        from dashboard.store.files import write_problem

        print(write_problem(exc, root, lang), file=sys.stderr)
        return 1
    print(t("import.written", lang, path=str(path)))
    return 0


def _boundary_schools(args: argparse.Namespace, lang: str) -> pd.DataFrame:
    """Return the schools the boundaries are checked against: --schools (a snapshot folder or
    a schools file), else the latest snapshot under --root holding --county."""
    from dashboard.store.snapshots import list_snapshots, read_snapshot

    if args.schools is not None:
        return _load_schools(Path(args.schools), lang)[0]
    infos = [i for i in (list_snapshots(args.root) if Path(args.root).is_dir() else [])
             if args.county is None or args.county in i.county_codes]
    if not infos:
        raise FileNotFoundError(t("boundary.cli.no_snapshot", lang, root=str(args.root),
                                  county=args.county or "—"))
    latest = max(infos, key=lambda i: (i.year, i.created))
    return read_snapshot(latest.path, lang=lang).schools


def cmd_boundaries(args: argparse.Namespace) -> int:
    """Check a township boundary file against the schools, show what it holds and, unless
    --dry-run, store it under --geo (the previous files kept in its .trash)."""
    from dashboard.store.boundaries import (
        boundary_lines,
        saved_pairing,
        stage_boundaries,
        write_boundaries,
    )
    from dashboard.store.boundary_files import BoundaryError
    from dashboard.store.contract import ContractError
    from dashboard.store.snapshots import SnapshotError

    lang = args.lang
    try:
        pairs = dict(p.split("=", 1) for p in args.pair if "=" in p)
        if len(pairs) != len(args.pair):
            raise BoundaryError(args.townships, "pair", lang,
                                value=next(p for p in args.pair if "=" not in p))
        schools = _boundary_schools(args, lang)
        county = args.county or (str(schools["county_code"].iloc[0])
                                 if schools["county_code"].nunique() == 1 else None)
        pairing = {**(saved_pairing(args.geo, county) if county else {}), **pairs}
        staged = stage_boundaries(args.townships, schools, county_code=county,
                                  outline_path=args.outline, name_column=args.name_column,
                                  crs=args.crs, layer=args.layer, pairing=pairing, lang=lang)
        print(*boundary_lines(staged, lang), sep="\n")
        if args.dry_run:
            print(t("import.dry_run", lang))
            return 0
        folder = write_boundaries(args.geo, staged)
    except (BoundaryError, ContractError, SnapshotError, FileNotFoundError) as exc:
        return _bad_input(exc, str(args.townships), lang)
    print(t("boundary.cli.written", lang, path=str(folder)))
    return 0


def _boundary_parser(sub, lang: str) -> None:
    b = sub.add_parser("boundaries", help=t("boundary.cli.help", lang))
    b.add_argument("townships", help=t("boundary.cli.townships", lang))
    b.add_argument("--outline", help=t("boundary.cli.outline", lang))
    b.add_argument("--schools", help=t("boundary.cli.schools", lang))
    b.add_argument("--root", default="data", help=t("cli.help.import_out", lang))
    b.add_argument("--county", help=t("cli.help.county", lang))
    b.add_argument("--name-column", help=t("boundary.cli.name_column", lang))
    b.add_argument("--crs", help=t("boundary.cli.crs", lang))
    b.add_argument("--layer", help=t("boundary.cli.layer", lang))
    b.add_argument("--pair", action="append", default=[], help=t("boundary.cli.pair", lang))
    b.add_argument("--geo", default="geo", help=t("boundary.cli.geo", lang))
    b.add_argument("--dry-run", action="store_true", help=t("cli.help.import_dry_run", lang))
    _add_lang(b, lang)
    b.set_defaults(func=cmd_boundaries)


def cmd_snapshots(args: argparse.Namespace) -> int:
    """List the snapshots under --root: id, year, counties, source, created."""
    from dashboard.store.snapshots import list_snapshots

    infos = list_snapshots(args.root) if Path(args.root).is_dir() else []
    if not infos:
        print(t("import.none", args.lang, root=str(args.root)))
    for i in infos:
        print(t("import.listed", args.lang, id=i.id, year=i.year, counties=", ".join(i.county_codes),
                source=i.source, created=i.created))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """Print what differs between two snapshots' schools (added, gone, each changed value)."""
    from dashboard.store.compare import cell_text, compare_schools, school_lines
    from dashboard.store.snapshots import SnapshotError, read_snapshot
    from dashboard.ui.data_page import column_labels

    lang = args.lang
    try:
        a, b = (read_snapshot(Path(args.root) / i, lang=lang) for i in (args.before, args.after))
    except (SnapshotError, FileNotFoundError, ValueError) as exc:
        return _bad_input(exc, f"{args.before} / {args.after}", lang)
    d = compare_schools(a.schools, b.schools)
    headers = column_labels("schools", lang)
    print(t("import.against", lang, id=a.id, year=a.meta["year"], added=len(d.added),
            gone=len(d.gone), changed=d.changed_schools))
    for line in school_lines(d, lang):
        print("  " + line)
    for r in d.changes.itertuples(index=False):
        print("  " + t("import.changed", lang, name=r.school_name, column=headers[r.column],
                       before=cell_text(r.before), after=cell_text(r.after)))
    return 0


def _plan_input(path: Path, lang: str):
    """Return (schools or snapshot, schools frame, county-items frame or None) of a snapshot
    folder or one schools file, as ``evaluate`` takes them."""
    from dashboard.store.snapshots import read_snapshot

    if path.is_dir():
        snapshot = read_snapshot(path, lang=lang)
        return snapshot, snapshot.schools, snapshot.county
    schools, county, warnings = _load_schools(path, lang)
    for w in warnings:
        print(w, file=sys.stderr)
    return schools, schools, county


def _open_snapshot(path: str, lang: str):
    """Return the snapshot folder at ``path`` (FileNotFoundError when it is not a folder)."""
    from dashboard.store.snapshots import read_snapshot

    if not Path(path).is_dir():
        raise FileNotFoundError(t("cli.error.no_such_path", lang, path=str(path)))
    return read_snapshot(Path(path), lang=lang)


def _roster_names(data) -> dict[str, str | None]:
    """Return teacher id -> name from a snapshot's roster (empty without names): names leave
    the machine only when the user asks (``plan --json --teacher-names``)."""
    roster = getattr(data, "teachers", None)
    if roster is None or "name" not in roster.columns:
        return {}
    return {str(i): (None if pd.isna(n) else str(n))
            for i, n in zip(roster["teacher_id"], roster["name"], strict=True)}


def _plan_arg_error(args: argparse.Namespace, lang: str) -> str | None:
    """Return the message of the first plan argument out of its range (None: all in range)."""
    checks = (("--time-limit", args.time_limit, "positive", args.time_limit > 0),
              ("--cost-per-transfer", args.cost_per_transfer, "positive",
               args.cost_per_transfer is None or args.cost_per_transfer > 0),
              ("--max-km", args.max_km, "positive", args.max_km is None or args.max_km > 0),
              ("--max-moves-per-school", args.max_moves_per_school, "non_negative",
               args.max_moves_per_school is None or args.max_moves_per_school >= 0))
    for name, value, rule, ok in checks:
        if not ok:
            return t("plan5.cli.bad_arg", lang, arg=name, rule=t(f"plan5.cli.rule.{rule}", lang), value=value)
    return None


def _plan_scope_error(args: argparse.Namespace, schools, lang: str) -> str | None:
    """Return the error of a plan's scope (None: one county and year): a --county not in the
    data, or data of several county-years with none chosen (the planner's own English)."""
    pairs = sorted({(str(c), int(y)) for c, y in zip(schools["county_code"], schools["year"])})
    if args.county:
        pairs = [p for p in pairs if p[0] == args.county]
        if not pairs:
            return t("cli.error.no_county", lang, county=args.county)
    if len(pairs) > 1:
        return t("lead.plan.many_scopes", lang, n=len(pairs),
                 pairs=("、" if lang == "zh" else ", ").join(f"{c} {y}" for c, y in pairs[:5]))
    return None


def cmd_plan(args: argparse.Namespace) -> int:
    """Plan transfers and/or purchases for one stage and scheme; print text or JSON."""
    from dashboard.planning.planner import PlanConstraints, PlanError, PlanGoal, plan, plan_to_json
    from dashboard.store.contract import ContractError
    from dashboard.store.snapshots import SnapshotError

    lang = args.lang
    try:
        data, schools, county = _plan_input(Path(args.path), lang)
    except (ContractError, SnapshotError, FileNotFoundError) as exc:
        return _bad_input(exc, args.path, lang)
    mode = "budget" if args.budget_only else "transfers" if args.transfers_only else "both"
    bad = _plan_arg_error(args, lang) or _plan_scope_error(args, schools, lang)
    if bad:  # the user's own arguments, named in the user's language (not a missing stage)
        print(bad, file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        costs = None if args.cost_per_transfer is None else {"teacher_transfer": args.cost_per_transfer}
        cons = PlanConstraints(max_km=args.max_km, max_moves_per_school=args.max_moves_per_school, costs=costs)
        result = plan(data, PlanGoal(args.scheme, args.stage, mode, county_code=args.county), cons,
                      time_limit_s=args.time_limit)
    except PlanError as exc:  # in the user's language, from the error's kind and values
        from dashboard.ui.plan_text import plan_error_text

        print(plan_error_text(exc, lang), file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:  # built whole, strict (no NaN), before anything is printed
        out = plan_to_json(result)
        if args.teacher_names:  # asked for: the roster's names beside the moved teachers' ids
            names = _roster_names(data)
            for move in out["moves"]:
                move["teacher_names"] = [names.get(i) for i in move["teacher_ids"]]
        sys.stdout.write(json_text(out))
    else:
        from dashboard.ui.plan_text import render_plan

        print(render_plan(result, schools, lang, county))
    return 0


def _present_material(args: argparse.Namespace, suffixes: tuple[str, ...]):
    """Return (material, None) for ``deck``/``report``, or (None, exit status 2) after saying
    on stderr what is wrong: the output's kind, the snapshot, the county or the scenario."""
    from dashboard.method.engine import evaluate
    from dashboard.planning.scenario import ScenarioError
    from dashboard.store.choices import load_profile_choice
    from dashboard.store.contract import ContractError
    from dashboard.store.snapshots import SnapshotError
    from dashboard.ui.checklist import evaluation_with_profile
    from dashboard.ui.present.assemble import history_of, scenario_part
    from dashboard.ui.present.model import material

    lang, out = args.lang, Path(args.out)
    if out.suffix.lower() not in suffixes:
        print(t("present.cli.bad_out", lang, path=str(out), kinds=", ".join(suffixes)), file=sys.stderr)
        return None, EXIT_BAD_INPUT
    if not out.parent.is_dir():
        print(t("cli.error.no_such_path", lang, path=str(out.parent)), file=sys.stderr)
        return None, EXIT_BAD_INPUT
    path = Path(args.path)
    try:
        snapshot = _open_snapshot(args.path, lang)
    except (ContractError, SnapshotError, FileNotFoundError) as exc:
        return None, _bad_input(exc, args.path, lang)
    codes = [str(c) for c in snapshot.meta.get("county_codes", [])]
    county = args.county or (codes[0] if codes else "")
    if county not in codes:
        print(t("cli.error.no_county", lang, county=county), file=sys.stderr)
        return None, EXIT_BAD_INPUT
    year = int(snapshot.meta["year"])
    # judged as the pages judge it: the profile named, else the one chosen for the county and
    # year on the checklist page (data/.choices), with the snapshot's class and room rows
    profile = getattr(args, "profile", None)
    try:
        _known_profile(profile, lang)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return None, EXIT_BAD_INPUT
    profile = profile or load_profile_choice(path.parent, county, year)
    ev = evaluation_with_profile(evaluate(snapshot.schools), profile, snapshot.classes, snapshot.rooms)
    scenario = None
    if getattr(args, "scenario", None):
        try:
            scenario = scenario_part(snapshot, args.scenario, county, lang)
        except ScenarioError as exc:
            print(exc.message(lang), file=sys.stderr)
            return None, EXIT_BAD_INPUT
    m = material(ev, snapshot.schools, snapshot.county, county, year, snapshot.id, lang,
                 history=history_of(path.parent, county, snapshot, ev), scenario=scenario,
                 scheme=getattr(args, "scheme", None), stage=getattr(args, "stage", None))
    return m, None


def cmd_deck(args: argparse.Namespace) -> int:
    """Write the PPTX deck of one county of a snapshot (the gap map when a browser is found)."""
    import os

    from dashboard.ui.present.assemble import DECK_SUFFIX, with_map, write_atomic
    from dashboard.ui.present.deck import build_deck

    m, status = _present_material(args, (DECK_SUFFIX,))
    if m is None:
        return int(status or EXIT_BAD_INPUT)
    geo = Path(args.geo or os.environ.get("JUNHENG_GEO") or Path(args.path).parent.parent / "geo")
    m, why = with_map(m, geo)
    if why:
        print(t("present.cli.no_map", args.lang, detail=why), file=sys.stderr)
    write_atomic(args.out, build_deck(m))
    print(t("present.cli.written", args.lang, path=args.out))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Write the self-assessment report (DOCX or PDF) or its tables (XLSX)."""
    from dashboard.ui.present.assemble import REPORT_WRITERS, write_atomic
    from dashboard.ui.present.pdf import RenderError

    m, status = _present_material(args, tuple(REPORT_WRITERS))
    if m is None:
        return int(status or EXIT_BAD_INPUT)
    try:
        data = REPORT_WRITERS[Path(args.out).suffix.lower()](m)
    except RenderError as exc:
        print(t("present.cli.no_pdf", args.lang, detail=str(exc)), file=sys.stderr)
        return 1
    write_atomic(args.out, data)
    print(t("present.cli.written", args.lang, path=args.out))
    return 0


def _add_lang(parser: argparse.ArgumentParser, lang: str) -> None:
    """Add a command's ``--lang`` (absent: the one given before the command, else zh)."""
    parser.add_argument("--lang", choices=LANGS, default=argparse.SUPPRESS, help=t("cli.help.lang", lang))


def _present_parsers(sub, schemes: tuple[str, ...], stages: tuple[str, ...], lang: str) -> None:
    """Add the ``deck`` and ``report`` sub-commands."""
    dk = sub.add_parser("deck", help=t("present.cli.help.deck", lang))
    rp = sub.add_parser("report", help=t("present.cli.help.report", lang))
    for q in (dk, rp):
        q.add_argument("path", help=t("cli.help.snapshot", lang))
        q.add_argument("--out", required=True, help=t("present.cli.help.out", lang))
        q.add_argument("--county", help=t("cli.help.county", lang))
        _add_lang(q, lang)
        q.add_argument("--profile", help=t("present.cli.help.profile", lang))
    dk.add_argument("--scenario", help=t("present.cli.help.scenario", lang))
    dk.add_argument("--scheme", choices=schemes, help=t("cli.help.focus_scheme", lang))
    dk.add_argument("--stage", choices=stages, help=t("cli.help.focus_stage", lang))
    dk.add_argument("--geo", help=t("present.cli.help.geo", lang))
    dk.set_defaults(func=cmd_deck)
    rp.set_defaults(func=cmd_report)


def build_parser(lang: str = "zh") -> argparse.ArgumentParser:
    """Return the argument parser, its help texts in ``lang`` (argparse's own words, such as
    'usage' and 'show this help message and exit', stay English)."""
    from dashboard.method.standards import SCHEMES, STAGES

    p = argparse.ArgumentParser(prog="python -m dashboard", description=t("cli.description", lang))
    p.add_argument("--lang", choices=LANGS, default="zh", help=t("cli.help.lang", lang))
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("evaluate", help=t("cli.help.evaluate", lang))
    e.add_argument("path", help=t("cli.help.path", lang))
    e.add_argument("--json", action="store_true", help=t("cli.help.json", lang))
    e.add_argument("--scheme", choices=(*SCHEMES, "all"), default="all", help=t("cli.help.scheme", lang))
    e.add_argument("--county", help=t("cli.help.county", lang))
    _add_lang(e, lang)
    e.add_argument("--profile", help=t("rules.cli.help.profile", lang))
    e.add_argument("--teaching-points", choices=("merge", "exclude"), default="merge",
                   help=t("rules.cli.help.teaching_points", lang))
    e.add_argument("--classes", help=t("rules.cli.help.classes", lang))
    e.add_argument("--rooms", help=t("rules.cli.help.rooms", lang))
    e.set_defaults(func=cmd_evaluate)
    pf = sub.add_parser("profiles", help=t("rules.cli.help.profiles", lang))
    pf.add_argument("--json", action="store_true", help=t("cli.help.json", lang))
    _add_lang(pf, lang)
    pf.set_defaults(func=cmd_profiles)
    d = sub.add_parser("demo", help=t("cli.help.demo", lang))
    d.add_argument("--out", default=".", help=t("cli.help.out", lang))
    d.add_argument("--seed", type=int, default=None, help=t("cli.help.seed", lang))
    _add_lang(d, lang)
    d.set_defaults(func=cmd_demo)
    tp = sub.add_parser("template", help=t("cli.help.template", lang))
    tp.add_argument("--out", default=".", help=t("cli.help.template_out", lang))
    _add_lang(tp, lang)
    tp.set_defaults(func=cmd_template)
    im = sub.add_parser("import", help=t("cli.help.import", lang))
    im.add_argument("schools", help=t("cli.help.import_schools", lang))
    im.add_argument("--teachers", help=t("cli.help.import_teachers", lang))
    im.add_argument("--county-items", help=t("cli.help.import_county", lang))
    im.add_argument("--classes", help=t("import.cli.classes", lang))
    im.add_argument("--rooms", help=t("import.cli.rooms", lang))
    im.add_argument("--sheet", help=t("cli.help.import_sheet", lang))
    im.add_argument("--year", type=int, help=t("cli.help.import_year", lang))
    im.add_argument("--county", help=t("import.help.county", lang))
    im.add_argument("--id", help=t("cli.help.import_id", lang))
    im.add_argument("--out", default="data", help=t("cli.help.import_out", lang))
    im.add_argument("--dry-run", action="store_true", help=t("cli.help.import_dry_run", lang))
    _add_lang(im, lang)
    im.set_defaults(func=cmd_import)
    sn = sub.add_parser("snapshots", help=t("cli.help.snapshots", lang))
    sn.add_argument("--root", default="data", help=t("cli.help.import_out", lang))
    _add_lang(sn, lang)
    sn.set_defaults(func=cmd_snapshots)
    cp = sub.add_parser("compare", help=t("cli.help.compare", lang))
    cp.add_argument("before")
    cp.add_argument("after")
    cp.add_argument("--root", default="data", help=t("cli.help.import_out", lang))
    _add_lang(cp, lang)
    cp.set_defaults(func=cmd_compare)
    pl = sub.add_parser("plan", help=t("cli.plan.command", lang))
    pl.add_argument("path", help=t("cli.help.path", lang))
    pl.add_argument("--scheme", choices=SCHEMES, required=True, help=t("cli.plan.help.scheme", lang))
    pl.add_argument("--stage", choices=STAGES, required=True, help=t("cli.plan.help.stage", lang))
    pl.add_argument("--max-km", type=float, default=None, help=t("cli.plan.help.max_km", lang))
    pl.add_argument("--max-moves-per-school", type=int, default=None, help=t("cli.plan.help.max_moves", lang))
    only = pl.add_mutually_exclusive_group()
    only.add_argument("--budget-only", action="store_true", help=t("cli.plan.help.budget_only", lang))
    only.add_argument("--transfers-only", action="store_true", help=t("cli.plan.help.transfers_only", lang))
    pl.add_argument("--time-limit", type=float, default=20.0, help=t("plan2.cli.time_limit", lang))
    pl.add_argument("--cost-per-transfer", type=float, default=None, help=t("plan2.cli.per_transfer", lang))
    pl.add_argument("--json", action="store_true", help=t("cli.help.json", lang))
    pl.add_argument("--teacher-names", action="store_true", help=t("privacy.cli.teacher_names", lang))
    pl.add_argument("--county", help=t("cli.help.county", lang))
    _add_lang(pl, lang)
    pl.set_defaults(func=cmd_plan)
    _present_parsers(sub, SCHEMES, STAGES, lang)
    _boundary_parser(sub, lang)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status (0 ok, 2 bad input)."""
    args = build_parser(help_lang(sys.argv[1:] if argv is None else argv)).parse_args(argv)
    return int(args.func(args))


def help_lang(argv: list[str]) -> str:
    """Return the language the help is written in: the ``--lang`` given anywhere on the line
    (before or after the command), else Chinese.

    >>> help_lang(["import", "x.xlsx", "--lang", "en", "-h"]), help_lang(["--lang=en"]), help_lang(["-h"])
    ('en', 'en', 'zh')
    """
    pre = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    pre.add_argument("--lang", choices=LANGS, default="zh")
    try:
        known, _ = pre.parse_known_args(argv)
    except argparse.ArgumentError:  # a language that is no choice: the real parser says so
        return "zh"
    return str(known.lang)
