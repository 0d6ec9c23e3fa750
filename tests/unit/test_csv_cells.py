"""A CSV cell is neutralised exactly where a spreadsheet could start a formula; a cell
with no such place is handed on as it is."""

from __future__ import annotations

import csv
import io
import re

from hypothesis import given
from hypothesis import strategies as st

from kasa.application.books import CsvText, _safe_cell

TRICKY = st.text(alphabet=st.sampled_from("=+-@\t\r,;\n 0123456789.aя'"), max_size=12)


def neutralised(value: str) -> str:
    """The rule spelled out a character at a time: ``'`` before a formula's start at the
    value's start and after each comma, semicolon, tab or line break."""
    if re.fullmatch(r"-?\d+(\.\d+)?", value):
        return value  # a plain number: it cannot be a formula
    out, starts = [], True
    for char in value:
        if starts and char in "=+-@\t\r":
            out.append("'")
        out.append(char)
        starts = char in ",;\t\r\n"
    return "".join(out)


@given(st.one_of(TRICKY, st.text(max_size=20)))
def test_a_cell_is_neutralised_where_a_formula_could_start_and_nowhere_else(value: str) -> None:
    assert _safe_cell(value) == neutralised(value)


def test_names_and_amounts_pass_and_formula_starts_are_quoted() -> None:
    assert _safe_cell("Олена Петренко") == "Олена Петренко"
    assert _safe_cell("=1+1") == "'=1+1"
    assert _safe_cell("x;=1") == "x;'=1"
    assert _safe_cell("b\t=2") == "b\t'=2"
    assert _safe_cell("\t=2") == "'\t'=2"
    assert _safe_cell("-150.50") == "-150.50"
    assert _safe_cell("-cmd") == "'-cmd"


@given(st.lists(st.lists(TRICKY, min_size=1, max_size=5), max_size=8))
def test_every_row_of_an_export_has_its_cells_neutralised(rows: list[list[str]]) -> None:
    exported = CsvText(["a"], iter(rows))
    text = "".join(exported)
    read = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert read[1:] == [[neutralised(cell) for cell in row] for row in rows]
    assert exported.rows == len(rows)  # counted whatever line breaks the cells hold


def test_a_long_export_comes_in_pieces_of_whole_rows_counted_as_they_go() -> None:
    rows = [[str(n), "Олена Петренко", "рядок\nз розривом"] for n in range(5000)]
    exported = CsvText(["id", "name", "note"], iter(rows))
    counts, pieces = [], []
    for piece in exported:
        pieces.append(piece)
        counts.append(exported.rows)
    assert len(pieces) > 2 and counts[-1] == 5000 and counts == sorted(counts)
    # each piece ends at the end of a row: the rows read so far are exactly those counted
    for n, count in enumerate(counts[:-1]):
        text = "".join(pieces[: n + 1])[1:]
        assert len(list(csv.reader(io.StringIO(text, newline="")))) == count + 1
