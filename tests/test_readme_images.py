"""The README's contact sheet is what a real emulator job gives an agent today (scripts/readme_images.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import av

ROOT = Path(__file__).resolve().parent.parent


def pixels(path: Path) -> tuple[int, int, bytes]:
    """Width, height and RGB samples of a picture."""
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0)).reformat(format="rgb24")
    plane = frame.planes[0]
    data = bytes(plane)
    rows = (data[y * plane.line_size : y * plane.line_size + 3 * frame.width] for y in range(frame.height))
    return frame.width, frame.height, b"".join(rows)


def test_readme_contact_sheet_is_current(tmp_path: Path) -> None:
    """The script makes the contact sheet from a real job; docs/contact-sheet.png shows exactly that picture."""
    made = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "readme_images.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    fresh = pixels(tmp_path / "contact-sheet.png")
    assert fresh[:2] == (640, 360)
    assert fresh == pixels(ROOT / "docs" / "contact-sheet.png"), (
        "the README picture is stale: run scripts/readme_images.py"
    )
    assert "docs/contact-sheet.png" in (ROOT / "README.md").read_text()
