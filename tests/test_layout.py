"""The house keeps its shape: job states are compared only through the states module, and modules stay small."""

from __future__ import annotations

import ast
from pathlib import Path

from wan_mcp.states import PLANNED, ChainState, JobState

SRC = Path(__file__).resolve().parent.parent / "src" / "wan_mcp"
STATE_WORDS = {s.value for s in JobState} | {s.value for s in ChainState} | {PLANNED}


def _literals(node: ast.AST) -> list[str]:
    """The string constants of a node that is a constant or a tuple/list/set of constants."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def state_literals(path: Path) -> list[str]:
    """Places in a module that compare with, or assign, a job state spelled as a string."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Compare):
            words = [w for part in (node.left, *node.comparators) for w in _literals(part) if w in STATE_WORDS]
        elif isinstance(node, ast.keyword) and node.arg == "state":
            words = [w for w in _literals(node.value) if w in STATE_WORDS]
        else:
            continue
        found += [f"{path.name}:{getattr(node, 'lineno', '?')} {w!r}" for w in words]
    return found


def test_no_state_literal_outside_the_states_module() -> None:
    """Job and chain states are compared and set through `states` (typed, matched exhaustively), never as strings."""
    modules = [p for p in SRC.rglob("*.py") if p.name != "states.py" and "emulator" not in p.parts]
    assert [hit for path in modules for hit in state_literals(path)] == []


def test_the_scan_finds_a_state_literal(tmp_path: Path) -> None:
    """The scan is not blind: a comparison and a keyword with a state string are both found."""
    sample = tmp_path / "sample.py"
    sample.write_text('x = record.state == "delivered"\nf(state="submitted")\n')
    assert len(state_literals(sample)) == 2


def test_service_journal_and_server_modules_stay_small() -> None:
    """No module of service/, journal/ or server/ is over ~400 lines (the catalog is data and exempt)."""
    packages = ("service", "journal", "server", "requests")
    sizes = {
        str(p.relative_to(SRC)): len(p.read_text(encoding="utf-8").splitlines())
        for package in packages
        for p in (SRC / package).rglob("*.py")
    }
    assert {name: lines for name, lines in sizes.items() if lines > 420} == {}
