"""What the command line shows people: progress lines that fit the terminal, short results, tables, CLI words."""

from __future__ import annotations

import io
import subprocess
import sys
from typing import Any

import pytest
from rich.console import Console

from wan_mcp.cli import main
from wan_mcp.cli_show import Progress, _Line, cli_words, task_text, tasks_table
from wan_mcp.views import ErrorView, TaskList, TaskView


def view(**fields: Any) -> TaskView:
    """A job as the service shows it, running unless told otherwise."""
    base: dict[str, Any] = {
        "handle": "wan-0123456789ab",
        "task_id": "7d41e602-eece-428b-bf7b-118e820865d6",
        "status": "RUNNING",
        "state": "submitted",
        "mode": "t2v",
        "model": "wan2.6-t2v",
        "created_at": "2026-12-02T06:28:58+00:00",
        "elapsed_seconds": 42,
        "expected_wait_text": "usually 1–5 min",
        "eta_seconds": 258,
        "message": "Generating: 42s so far, usually 1–5 min. Poll 7d41e602 again with wait_seconds.",
    }
    return TaskView(**{**base, **fields})


def render(renderable: Any, width: int) -> list[str]:
    """The lines a renderable takes in a terminal `width` columns wide."""
    console = Console(file=io.StringIO(), width=width, color_system=None, legacy_windows=False)
    console.print(renderable)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    return [line.rstrip() for line in text.splitlines()]


@pytest.mark.parametrize("width", [30, 60, 120, 200])
def test_progress_line_fits_the_terminal(width: int) -> None:
    """The progress line is one line at any width: the bar grows with the terminal; the usual wait goes when narrow."""
    progress = Progress(Console(file=io.StringIO()))
    progress.show(view())

    lines = render(_Line(progress), width)

    assert len(lines) == 1 and len(lines[0]) <= width
    assert "Generating 42s" in lines[0]
    assert ("usually 1–5 min" in lines[0]) == (width >= 60)
    assert "━" in lines[0]
    if width >= 120:
        assert lines[0].count("━") + lines[0].count("─") >= width - 45


def test_progress_bar_fills_with_the_elapsed_share_of_the_usual_wait() -> None:
    """At 42 s of a typical 300 s the bar is about 14% full; past the usual wait it is full and says so."""
    progress = Progress(Console(file=io.StringIO()))
    progress.show(view())
    line = render(_Line(progress), 120)[0]
    filled, empty = line.count("━"), line.count("─")
    assert 0.10 < filled / (filled + empty) < 0.20

    progress.show(view(elapsed_seconds=400, eta_seconds=0))
    late = render(_Line(progress), 120)[0]
    assert "─" not in late and "longer than usual" in late


def test_progress_without_a_terminal_prints_plain_lines_on_change() -> None:
    """Not a terminal: one plain line per change of status (Queued, Generating, Downloading), no redraws."""
    out = io.StringIO()
    with Progress(Console(file=out, width=80)) as progress:
        for status, state in (("PENDING", "submitted"), ("PENDING", "submitted"), ("RUNNING", "submitted")):
            progress.show(view(status=status, state=state))
        progress.show(view(status="SUCCEEDED", state="downloading"))

    lines = out.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == ["Queued", "Generating", "Downloading"]
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue()


def test_results_speak_cli() -> None:
    """Results name the command to type next and never a tool or its arguments."""
    running = "\n".join(render(task_text(view(), once=True), 200))
    delivered = "\n".join(
        render(
            task_text(
                view(
                    status="SUCCEEDED",
                    state="delivered",
                    local_path="/v/fox.mp4",
                    size_bytes=2_789_726,
                    sha256="535c25a9b78150ba",
                    billed_seconds=5.0,
                    usage={"size": "1280*720"},
                )
            ),
            200,
        )
    )
    error = ErrorView(
        code="InternalError.Algo", message="boom", retryable=True, charged=False, fix="submit_video again"
    )
    failed = "\n".join(render(task_text(view(status="FAILED", state="failed", error=error)), 200))

    assert "wan-mcp poll 7d41e602-eece-428b-bf7b-118e820865d6 --once" in running
    assert "Generating for 42s (usually 1–5 min)" in running
    assert delivered.splitlines() == [
        "Done in 42s, saved:",
        "  /v/fox.mp4",
        "  wan2.6-t2v · t2v · 5 s · 1280×720 · 2.8 MB",
        "  SHA-256 535c25a9b78150ba… verified",
    ]
    assert failed.splitlines() == ["Failed: boom (InternalError.Algo). Not charged.", "  Fix: wan-mcp submit again"]
    for text in (running, delivered, failed):
        assert "wait_seconds" not in text and "poll_task" not in text and "submit_video" not in text


def test_cli_words_turn_tool_talk_into_commands() -> None:
    """Tool names become commands and the wait_seconds advice disappears."""
    assert cli_words("Poll X again with wait_seconds.") == "Poll X again."
    assert cli_words("use the id submit_video returned (list_tasks shows them)") == (
        "use the id wan-mcp submit returned (wan-mcp tasks shows them)"
    )


@pytest.mark.parametrize(("width", "columns"), [(120, 6), (60, 3), (40, 3)])
def test_tasks_table_keeps_to_the_width(width: int, columns: int) -> None:
    """The table never exceeds the terminal: the prompt shortens, then model, mode and date columns go."""
    delivered = view(state="delivered", status="SUCCEEDED", prompt="A red fox trotting through fresh snow at sunrise")
    listing = TaskList(tasks=[view(), delivered], count=2)

    lines = render(tasks_table(listing, width), width)

    assert all(len(line) <= width for line in lines)
    assert len(lines[0].split()) == columns and "job" in lines[0] and "status" in lines[0]
    assert "wan-0123456789ab" in lines[1] and "RUNNING 42s" in lines[1]
    assert lines[-1] == "Details: wan-mcp poll JOB --once"


def test_help_speaks_of_the_product_only(capsys: pytest.CaptureFixture[str]) -> None:
    """No command's --help mentions the seed or other history; poll's says how to wait and how to check once."""
    texts = []
    for command in ([], ["poll"], ["submit"], ["tasks"]):
        with pytest.raises(SystemExit):
            main([*command, "--help"])
        texts.append(capsys.readouterr().out)
    assert not any("seed's" in text or "poll-once" in text for text in texts)
    assert "--once" in texts[1] and "Ctrl-C" in texts[1] and "--json" in texts[2]


def test_mcp_server_never_imports_rich() -> None:
    """Importing the MCP server (what a client starts) loads no rich: the display costs nothing at start-up."""
    probe = "import sys, wan_mcp.server; print(sorted(m for m in sys.modules if m.split('.')[0] == 'rich'))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
