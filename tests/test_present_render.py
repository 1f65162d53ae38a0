"""LibreOffice opens the deck and the DOCX and converts them to PDF, and pdftoppm renders their
pages to images that are not blank.  LibreOffice is a viewer's tool, not one the project
installs (scripts/system-deps.sh does not: it is large), and a conversion takes a minute on a
busy machine: the tests run with JUNHENG_RENDER_TESTS=1 and LibreOffice and poppler-utils
installed (`apt-get install libreoffice-impress libreoffice-writer poppler-utils`)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from demo_data import DEMO_SNAPSHOT

from dashboard.cli import main

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(
    os.environ.get("JUNHENG_RENDER_TESTS") != "1" or SOFFICE is None
    or shutil.which("pdftoppm") is None,
    reason="set JUNHENG_RENDER_TESTS=1 with LibreOffice and pdftoppm installed")


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
