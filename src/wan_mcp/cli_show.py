"""What the command line shows people: a job's progress while they wait, and results and job lists as short text.

Uses rich, imported here only (the command line imports this module lazily), so the MCP server never loads it.
Progress goes to stderr: one line redrawn in place on a terminal, as wide as the terminal; plain lines otherwise.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.live import Live
from rich.table import Table
from rich.text import Text

from wan_mcp.states import ChainState, JobState
from wan_mcp.views import SubmitView, TaskList, TaskView

__all__ = ["Progress", "cli_words", "submit_text", "task_text", "tasks_table"]

WORKING = (JobState.SUBMITTING, JobState.SUBMITTED, JobState.DOWNLOADING, ChainState.RUNNING)
_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_PLAIN_EVERY_SECONDS = 30.0
_TOOL_WORDS = {  # what a tool's message calls things → what a person types
    "submit_video": "wan-mcp submit",
    "poll_task": "wan-mcp poll",
    "list_tasks": "wan-mcp tasks",
    "cancel_task": "cancelling",
    "dry_run": "--dry-run",
}


def cli_words(text: str) -> str:
    """A message written for an agent, in the command line's words (tool names become commands)."""
    text = re.sub(r" with wait_seconds\b", "", text)
    return re.sub("|".join(_TOOL_WORDS), lambda found: _TOOL_WORDS[found.group(0)], text)


def clock(seconds: float) -> str:
    """1m05s, or 42s under a minute."""
    whole = max(0, int(seconds))
    return f"{whole // 60}m{whole % 60:02d}s" if whole >= 60 else f"{whole}s"


def _ident(view: TaskView) -> str:
    return view.task_id or view.handle


def _facts(view: TaskView) -> str:
    """model · mode · length · frame size · file size, as far as they are known."""
    usage = view.usage or {}
    size = str(usage.get("size") or "").replace("*", "×")
    parts = [view.model, view.mode]
    if view.billed_seconds is not None:
        parts.append(f"{view.billed_seconds:g} s")
    if size:
        parts.append(size)
    if view.size_bytes is not None:
        parts.append(f"{view.size_bytes / 1e6:.1f} MB")
    return " · ".join(parts)


def task_text(view: TaskView, *, once: bool = False) -> Group:
    """A job in a few lines: what happened, the file or the fix, and the command to type next."""
    ident = _ident(view)
    again = f"wan-mcp poll {ident}"
    state, status = view.state, view.status
    usual = view.expected_wait_text or ""
    lines: list[tuple[str, str]]
    if state in (JobState.DELIVERED, ChainState.DELIVERED):
        took = f" in {clock(view.elapsed_seconds)}" if view.elapsed_seconds is not None else ""
        lines = [(f"Done{took}, saved:", "bold green"), (f"  {view.local_path}", "path"), (f"  {_facts(view)}", "")]
        if view.sha256:
            lines.append((f"  SHA-256 {view.sha256[:16]}… verified", ""))
        lines += [(f"  Differs from the request: {m}", "yellow") for m in view.mismatches or ()]
    elif state in (JobState.FAILED, JobState.REJECTED) and view.error is not None:
        error = view.error
        charged = "Charged." if error.charged else "Not charged."
        first = "DashScope refused the request" if state == JobState.REJECTED else "Failed"
        lines = [(f"{first}: {cli_words(error.message)} ({error.code}). {charged}", "bold red")]
        lines.append((f"  Fix: {cli_words(error.fix)}", ""))
    elif state == JobState.UNCONFIRMED:
        lines = [
            ("Sent, but DashScope's answer was lost: a task may exist and may be billed.", "bold yellow"),
            (f"  Do not submit it again. `{again}` matches it in DashScope's task list.", ""),
        ]
    elif state in WORKING:
        doing = {"PENDING": "Queued", "RUNNING": "Generating"}.get(status or "", "Submitting")
        if state == JobState.DOWNLOADING or status == "SUCCEEDED":
            doing = "Downloading"
        elapsed = f" for {clock(view.elapsed_seconds)}" if view.elapsed_seconds is not None else ""
        lines = [(f"{doing}{elapsed} ({usual}): {view.model} · {view.mode}, task {ident}", "bold")]
        follow = f"Check again: {again} --once, or wait for it: {again}" if once else f"Wait for it: {again}"
        lines.append((f"  {follow}", ""))
    else:
        lines = [(cli_words(view.message), "bold")]
    return Group(*(_line(text, style) for text, style in lines))


def _line(text: str, style: str) -> Text:
    """A line of a result; a path is never wrapped by us (the terminal may fold it; copying keeps it whole)."""
    if style == "path":
        return Text(text, no_wrap=True, overflow="ignore")
    return Text(text, style=style)


def estimate_line(view: SubmitView) -> str:
    estimate = view.estimate
    parts = [view.model, view.mode]
    if estimate.output_seconds is not None:
        parts.append(f"{estimate.output_seconds:g} s")
    if estimate.resolution or estimate.size:
        parts.append(str(estimate.resolution or estimate.size))
    parts.append("with sound" if estimate.sound else "silent")
    if estimate.cost is not None:
        kind = "estimate" if estimate.price_is_estimate else "official price"
        parts.append(f"≈ {estimate.cost:.2f} {estimate.currency} ({kind})")
    else:
        parts.append("price unknown: see the console")
    parts.append(estimate.wait_text)
    return " · ".join(parts)


def submit_text(view: SubmitView) -> Group:
    """A submission: the estimate, then the job (or, for a dry run, the notes and how to send it)."""
    if view.dry_run:
        lines = [Text(f"Dry run, nothing sent: {estimate_line(view)}", style="bold")]
        lines += [Text(f"  • {cli_words(note)}") for note in view.notes if not note.startswith("Tell the user")]
        lines.append(Text("  Send it: the same command without --dry-run"))
        return Group(*lines)
    assert view.task is not None
    return Group(Text(f"Submitted: {estimate_line(view)}", style="bold"), task_text(view.task))


def tasks_table(listing: TaskList, width: int) -> Table | Text:
    """Jobs newest first: created, job, mode, model, status, prompt; in a narrow terminal the prompt is shortened
    first, then the model, mode and date columns are left out (`wan-mcp poll JOB --once` shows a job's file)."""
    if not listing.tasks:
        return Text('No jobs yet. Make one: wan-mcp submit --args-json \'{"mode": "t2v", "prompt": "…"}\'')
    names = ("created", "job", "mode", "model", "status", "prompt")
    rows = [_task_row(view) for view in listing.tasks]
    shown = list(names)
    for drop in ("model", "mode", "created", None):
        natural = {name: max(len(name), *(len(row[name]) for row in rows)) for name in shown if name != "prompt"}
        prompt_width = width - sum(natural.values()) - 2 * (len(shown) - 1)
        if prompt_width >= 20 or drop is None:
            break
        shown.remove(drop)
    table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0), header_style="bold", collapse_padding=True)
    table.caption, table.caption_justify = "Details: wan-mcp poll JOB --once", "left"
    for name in shown:
        table.add_column(
            name, no_wrap=True, overflow="ellipsis", max_width=max(8, prompt_width) if name == "prompt" else None
        )
    for row in rows:
        table.add_row(*(row[name] for name in shown))
    return table


def _task_row(view: TaskView) -> dict[str, str]:
    active = view.state in WORKING
    return {
        "created": datetime.fromisoformat(view.created_at).astimezone().strftime("%m-%d %H:%M"),
        "job": view.handle,
        "mode": view.mode,
        "model": view.model,
        "status": f"{view.status or view.state} {clock(view.elapsed_seconds or 0)}" if active else view.state,
        "prompt": " ".join((view.prompt or "").split()),
    }


class _Line:
    """The progress line, drawn to the console's width: spinner, status, elapsed, a bar, the usual wait."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        p = self.progress
        elapsed = p.elapsed()
        spinner = _SPINNER[int(time.monotonic() * 10) % len(_SPINNER)]
        left = f"{spinner} {p.doing} {clock(elapsed)}"
        late = p.high is not None and elapsed > p.high
        right = "longer than usual" if late else p.usual
        width = options.max_width
        bar_width = width - len(left) - len(right) - 4
        if bar_width < 10:
            right, bar_width = "", width - len(left) - 2
        line = Text(left, style="bold")
        if bar_width >= 10 and p.high:
            filled = bar_width if late else min(bar_width - 1, int(bar_width * elapsed / p.high))
            line.append("  ")
            line.append("━" * filled, style="yellow" if late else "magenta")
            line.append("─" * (bar_width - filled), style="grey42")
        if right:
            line.append("  " + right, style="dim")
        line.truncate(width)
        yield line


class Progress:
    """Shows a waiting job: a live line on a terminal, else a plain line on each change and every 30 s."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.doing = "Submitting"
        self.usual = ""
        self.high: float | None = None
        self._elapsed_at = 0.0
        self._seen_at = time.monotonic()
        self._printed: tuple[str, float] | None = None
        self._live: Live | None = None

    def __enter__(self) -> Progress:
        if self.console.is_terminal:
            self._live = Live(_Line(self), console=self.console, refresh_per_second=8, transient=True)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._live is not None:
            self._live.__exit__(*exc)

    def elapsed(self) -> float:
        return self._elapsed_at + time.monotonic() - self._seen_at

    def show(self, view: TaskView) -> None:
        """Take the job's latest state (the live line keeps ticking on its own between calls)."""
        self.doing = {"PENDING": "Queued", "RUNNING": "Generating"}.get(view.status or "", "Submitting")
        if view.state == JobState.DOWNLOADING or view.status == "SUCCEEDED":
            self.doing = "Downloading"
        self.usual = view.expected_wait_text or ""
        self._elapsed_at, self._seen_at = float(view.elapsed_seconds or 0), time.monotonic()
        if view.eta_seconds is not None:
            self.high = self._elapsed_at + view.eta_seconds
        if self._live is None:
            self._plain()

    def _plain(self) -> None:
        now = time.monotonic()
        if self._printed and self._printed[0] == self.doing and now - self._printed[1] < _PLAIN_EVERY_SECONDS:
            return
        self._printed = (self.doing, now)
        self.console.print(f"{self.doing} {clock(self.elapsed())} ({self.usual})", markup=False, highlight=False)
