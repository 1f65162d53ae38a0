"""LibreOffice opens the deck and the DOCX and converts them to PDF, and pdftoppm renders their
pages to images that are not blank (issue 13).  ``make test`` installs LibreOffice (Impress and
Writer) and poppler-utils through scripts/system-deps.sh; the tests are marked ``office`` and
left out of ``make test-fast``, and they fail, not skip, when the tools are missing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from demo_data import DEMO_SNAPSHOT

from dashboard.cli import main

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.office


def test_the_tools_are_installed() -> None:
    assert SOFFICE is not None and shutil.which("pdftoppm") is not None, (
        "LibreOffice or poppler-utils missing: run `make system-deps`")


def _grey_spread(ppm: bytes) -> int:
    """Return max − min of the grey levels of a binary PPM/PGM image (0: a blank page)."""
    parts = ppm.split(maxsplit=4)
    pixels = parts[4]
    return max(pixels) - min(pixels)


@pytest.mark.parametrize("command,suffix", [("deck", ".pptx"), ("report", ".docx")])
def test_libreoffice_converts_and_pages_are_not_blank(tmp_path: Path, command: str,
                                                      suffix: str) -> None:
    source = tmp_path / f"out{suffix}"
    args = [command, str(DEMO_SNAPSHOT), "--out", str(source)]
    assert main(args) == 0
    profile = tmp_path / "lo-profile"
    subprocess.run([str(SOFFICE), f"-env:UserInstallation={profile.as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=240)
    pdf = tmp_path / "out.pdf"
    assert pdf.is_file()
    subprocess.run(["pdftoppm", "-r", "20", "-gray", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.pgm"))
    assert len(pages) >= (9 if command == "deck" else 6)
    assert all(_grey_spread(p.read_bytes()) > 100 for p in pages)
