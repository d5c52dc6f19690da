"""No Wan model id is a string literal outside the catalog: differences between models come from its fields."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import wan_mcp
from wan_mcp import catalog

PACKAGE = Path(wan_mcp.__file__).parent
MODEL_ID = re.compile(r"(?<![\w.])wanx?\d+\.\d+-[a-z0-9][a-z0-9.-]*")


def string_literals(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string token in a Python file (docstrings and f-string parts included)."""
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    kinds = {tokenize.STRING, *(getattr(tokenize, name) for name in ("FSTRING_MIDDLE",) if hasattr(tokenize, name))}
    return [(token.start[0], token.string) for token in tokens if token.type in kinds]


def test_scan_finds_an_id_in_a_literal(tmp_path: Path) -> None:
    """The scan itself sees a model id in a string, and ignores one in a comment."""
    sample = tmp_path / "sample.py"
    sample.write_text('x = "use wan2.6-t2v here"  # wan2.2-s2v in a comment\n', encoding="utf-8")
    found = [MODEL_ID.findall(text) for _, text in string_literals(sample)]
    assert found == [["wan2.6-t2v"]]


def test_no_model_id_literals_outside_the_catalog() -> None:
    """Every .py file of the package except the catalog's data (catalog.py, and sources.py: the documents cited,
    whose titles and addresses name models) is free of model-id string literals."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path in (PACKAGE / "catalog.py", PACKAGE / "sources.py"):
            continue
        for line, text in string_literals(path):
            offenders += [f"{path.relative_to(PACKAGE)}:{line}: {found}" for found in MODEL_ID.findall(text)]
    assert offenders == []


def test_the_pattern_matches_every_catalog_id() -> None:
    """The scan's pattern recognises every id and regional name the catalog holds."""
    for model in catalog.MODELS:
        for alias in model.aliases:
            assert MODEL_ID.fullmatch(alias), alias
