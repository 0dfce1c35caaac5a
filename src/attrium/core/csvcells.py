"""CSV cells a spreadsheet will not run as formulas, read back exactly.

A spreadsheet runs a cell starting with `=`, `+`, `-` or `@` (and, in some, a tab or
a carriage return) as a formula: a customer id `=HYPERLINK(...)` in an export would
run on the machine of whoever opens it (OWASP "CSV injection"). Such a text cell is
written with a leading `'`, which spreadsheets show as text. So that every string
reads back as it was, a cell that is one or more `'` followed by one of those
characters also gains a `'` (a value `'=x` is written `''=x`), and reading removes
the first `'` of exactly those cells. No other cell changes either way.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _quoted_formula(text: str) -> bool:
    """Whether the text, after any leading quotes, starts like a formula."""
    return text.lstrip("'").startswith(FORMULA_STARTS)


def escape_cell(text: str) -> str:
    return "'" + text if _quoted_formula(text) else text


def unescape_cell(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and _quoted_formula(cell) else cell
