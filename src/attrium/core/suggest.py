"""A close name to offer when a request names one that does not exist."""

import difflib
from collections.abc import Iterable


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """` (did you mean "email"?)` for the closest of `known` to `name`, or nothing."""
    close = difflib.get_close_matches(name, sorted(set(known)), n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""

