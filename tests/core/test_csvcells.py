"""CSV cells escaped against formulas read back as every string was."""

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from attrium.core.csvcells import escape_cell, unescape_cell


def test_cells_a_spreadsheet_would_run_gain_one_quote() -> None:
    for text in ("=1+2", "+1", "-x", "@SUM(A1)", "\tt", "\rr", "'=1", "''-x"):
        assert escape_cell(text) == "'" + text
    for text in ("", "'", "''", "plain", "'plain", "a=1", " =1", "5"):
        assert escape_cell(text) == text


@given(st.text(alphabet=st.sampled_from("'=+-@\t\r\nab,\" "), max_size=8) | st.text())
def test_every_string_round_trips_through_a_csv_file(text: str) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([escape_cell(text)])
    [[cell]] = list(csv.reader(io.StringIO(buffer.getvalue(), newline="")))
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert unescape_cell(cell) == text
