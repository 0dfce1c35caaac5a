"""Code blocks of the docs, to run as tests."""

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
_BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)
PLACEHOLDER_KEY = "atr_..."


def code_blocks(document: str, language: str) -> list[str]:
    """The document's blocks in `language`, less the ones that show a placeholder key."""
    text = (DOCS / document).read_text()
    return [
        code
        for found_language, code in _BLOCK.findall(text)
        if found_language == language and PLACEHOLDER_KEY not in code
    ]
