"""The chosen rule profile is named wherever a verdict is shown (issue 12): in the sidebar of
every page, and in the report's results with the rest of the scope; the source is named by its
title, never a file path."""

from __future__ import annotations

from pathlib import Path

from demo_data import DEMO_SNAPSHOT
from streamlit.testing.v1 import AppTest

from dashboard.method.engine import evaluate
from dashboard.method.profiles import load_profile
from dashboard.method.profiles_county import with_profile
from dashboard.store.snapshots import read_snapshot
from dashboard.ui.present.model import material
from dashboard.ui.present.report import report_blocks

REPO = Path(__file__).resolve().parent.parent


def _sidebar_captions(**params: str) -> list[str]:
    at = AppTest.from_file(str(REPO / "app" / "main.py"), default_timeout=120)
    at.query_params.update(params)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return [str(c.value) for c in at.sidebar.caption]


def test_the_sidebar_names_the_profile_every_page_follows() -> None:
    default = load_profile(None)
    assert any(default.name("zh") in c for c in _sidebar_captions(lang="zh"))
    yunnan = load_profile("yunnan_10")
    assert any(yunnan.name("en") in c for c in _sidebar_captions(lang="en", profile="yunnan_10"))
    # an unknown id in a shared link falls back to the default, named as such
    assert any(default.name("zh") in c for c in _sidebar_captions(lang="zh", profile="nope"))


def test_the_report_records_the_rules_its_verdicts_were_made_with() -> None:
    snap = read_snapshot(DEMO_SNAPSHOT)
    county, year = str(snap.schools["county_code"].iloc[0]), int(snap.meta["year"])
    ev = with_profile(evaluate(snap.schools), "anhui_10")
    for lang in ("zh", "en"):
        m = material(ev, snap.schools, snap.county, county, year, snap.id, lang)
        text = "\n".join(b.text for b in report_blocks(m))
        prof = load_profile("anhui_10")
        assert prof.name(lang) in text and prof.source_title(lang) in text
        assert "seeds/" not in text and ".txt" not in text


def test_a_choice_is_kept_per_county_and_year(tmp_path: Path) -> None:
    from dashboard.store.choices import CHOICES_DIR, load_profile_choice, save_profile_choice

    assert load_profile_choice(tmp_path, "360123", 2024) is None
    save_profile_choice(tmp_path, "360123", 2023, "anhui_10")
    assert load_profile_choice(tmp_path, "360123", 2024) == "anhui_10"  # a later year inherits
    assert load_profile_choice(tmp_path, "360123", 2022) is None  # an earlier one does not
    save_profile_choice(tmp_path, "360123", 2024, "yunnan_10")
    assert load_profile_choice(tmp_path, "360123", 2024) == "yunnan_10"
    assert load_profile_choice(tmp_path, "360123", 2023) == "anhui_10"
    assert load_profile_choice(tmp_path, "990101", 2024) is None  # another county
    (tmp_path / CHOICES_DIR / "360123.json").write_text('{"profile": {"2024": "gone"}}')
    assert load_profile_choice(tmp_path, "360123", 2024) is None  # no longer a profile
    (tmp_path / CHOICES_DIR / "360123.json").write_text("[" * 100_000)
    assert load_profile_choice(tmp_path, "360123", 2024) is None  # damaged: no choice
    save_profile_choice(tmp_path, "../../x", 2024, "anhui_10")  # never outside its folder
    assert sorted(p.name for p in (tmp_path / CHOICES_DIR).iterdir()) == ["360123.json",
                                                                         "default.json"]


def test_choosing_on_the_checklist_page_is_what_every_session_opens_on(
        tmp_path: Path, monkeypatch) -> None:
    import shutil

    from demo_data import DEMO_DATA, DEMO_GEO

    from dashboard.i18n import t
    from dashboard.store.choices import load_profile_choice

    root = tmp_path / "data"
    shutil.copytree(DEMO_SNAPSHOT, root / DEMO_SNAPSHOT.name)
    monkeypatch.setenv("JUNHENG_DATA", str(root))
    monkeypatch.setenv("JUNHENG_GEO", str(DEMO_GEO))
    assert DEMO_DATA.is_dir()
    at = AppTest.from_file(str(REPO / "app" / "main.py"), default_timeout=120)
    at.query_params.update({"lang": "zh"})
    at.run()
    at.switch_page(str(REPO / "pages" / "checklist.py"))
    at.run()
    box = next(s for s in at.selectbox if s.label == t("rules.page.profile", "zh"))
    box.set_value("yunnan_10").run()
    assert not at.exception, [e.value for e in at.exception]
    assert load_profile_choice(root, "990101", 2024) == "yunnan_10"
    # another screen in the meeting room, no profile in its address: it opens on the choice
    yunnan = load_profile("yunnan_10").name("zh")
    assert any(yunnan in c for c in _sidebar_captions(lang="zh"))


def test_the_official_tables_record_the_rules_in_the_verdict_table() -> None:
    """The report's tables (XLSX, and the same tables in DOCX and PDF) carry the scope in the
    verdict table's note, so a workbook sent on its own still says which rules it applied."""
    from dashboard.ui.present.tables import official_tables

    snap = read_snapshot(DEMO_SNAPSHOT)
    county, year = str(snap.schools["county_code"].iloc[0]), int(snap.meta["year"])
    m = material(with_profile(evaluate(snap.schools), "anhui_10"), snap.schools, snap.county,
                 county, year, snap.id, "zh")
    verdicts = next(tb for tb in official_tables(m) if tb.key == "verdicts")
    assert load_profile("anhui_10").name("zh") in verdicts.note


def _docx_text(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    cells = [c.text for table in document.tables for row in table.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_the_command_lines_report_is_judged_as_the_pages_judge(tmp_path: Path) -> None:
    """`report` (and `deck`, the same material) follows the profile chosen for the county and
    year on the checklist page, as every page does; `--profile` names another; an unknown one
    is refused with exit status 2 and nothing written."""
    import shutil

    from dashboard.cli import main
    from dashboard.store.choices import save_profile_choice

    root = tmp_path / "data"
    snapshot = root / DEMO_SNAPSHOT.name
    shutil.copytree(DEMO_SNAPSHOT, snapshot)
    snap = read_snapshot(snapshot)
    county, year = str(snap.schools["county_code"].iloc[0]), int(snap.meta["year"])
    out = tmp_path / "report.docx"
    default, anhui, yunnan = load_profile(None), load_profile("anhui_10"), load_profile("yunnan_10")

    assert main(["report", str(snapshot), "--out", str(out)]) == 0
    text = _docx_text(out)
    assert default.name("zh") in text and anhui.name("zh") not in text

    save_profile_choice(root, county, year, "anhui_10")  # chosen on the checklist page
    assert main(["report", str(snapshot), "--out", str(out)]) == 0
    text = _docx_text(out)
    assert anhui.name("zh") in text and default.name("zh") not in text

    assert main(["report", str(snapshot), "--out", str(out), "--profile", "yunnan_10", "--lang", "en"]) == 0
    assert yunnan.name("en") in _docx_text(out)

    before = out.read_bytes()
    assert main(["report", str(snapshot), "--out", str(out), "--profile", "nope"]) == 2
    assert out.read_bytes() == before
