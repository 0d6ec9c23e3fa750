"""An export opened in a real spreadsheet (LibreOffice Calc, headless) starts no formula,
whether it splits the file on commas or on semicolons (as Excel in Ukrainian does)."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kasa.application.reads import RequestQuery
from tests.integration.app.helpers import Fund

TEXTS = [
    "x;=1+1",
    "-2+3;+cmd|' /C calc'!A0",
    "=1+1",
    'ok,=HYPERLINK("http://evil")',
    "a;@SUM(1;2)",
    "рядок\n+1+1",
    "b\t=2+2",
]
COMMA, SEMICOLON = 44, 59


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
        pytest.skip("LibreOffice is not installed")
    return found


def formulas(tool: str, csv_file: Path, separator: int, folder: Path) -> list[str]:
    """The formula cells LibreOffice makes of a CSV file when it evaluates formulas."""
    out = folder / f"out-{separator}"
    subprocess.run(
        [
            tool,
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{folder / 'profile'}",
            # separator, text delimiter ", UTF-8, from line 1, …, 13th: evaluate formulas
            f"--infilter=CSV:{separator},34,76,1,,,,,,,,,true",
            "--convert-to",
            "fods",
            "--outdir",
            str(out),
            str(csv_file),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    text = (out / csv_file.with_suffix(".fods").name).read_text(encoding="utf-8")
    return [part.split('"')[1] for part in text.split("table:formula=")[1:]]


def test_no_export_cell_becomes_a_formula_in_a_spreadsheet(tmp_path: Path) -> None:
    tool = soffice()
    fund = Fund.build()
    member_id = fund.approved_member(fund.program(price="300"))
    for text in TEXTS:
        fund.requests.create(member_id, text, [])
    exported = tmp_path / "requests.csv"
    exported.write_text("".join(fund.books.export_requests(None, RequestQuery())))
    # the same texts written without neutralising: the check finds formulas there
    raw = tmp_path / "raw.csv"
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["comment"], *([text] for text in TEXTS)])
    raw.write_text(buffer.getvalue())
    for separator in (COMMA, SEMICOLON):
        assert formulas(tool, raw, separator, tmp_path), separator  # the check can fail
        assert formulas(tool, exported, separator, tmp_path) == [], separator
