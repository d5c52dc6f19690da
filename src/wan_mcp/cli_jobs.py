"""The command line's job commands: submit, poll, tasks and spend, and the studio's frame, merge, extend and long.

They call the service (WanService and its result views) and show people short text with a progress line while
they wait; `--json` prints the result views as JSON instead, for scripts. Imported only when such a command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from types import SimpleNamespace
from typing import Any

import anyio
from rich.console import Console
from rich.text import Text

from wan_mcp.cli import EXIT_FAILED, EXIT_OK, EXIT_REFUSED, configure_logging, emit, error_object, read_arguments
from wan_mcp.cli_show import (
    WORKING,
    Progress,
    cli_words,
    estimate_line,
    submit_text,
    task_text,
    tasks_table,
)
from wan_mcp.config import load_settings
from wan_mcp.errors import RequestInvalid, WanMcpError
from wan_mcp.service import WanService
from wan_mcp.service.chain_specs import ChainSpec, Shot
from wan_mcp.service.chains import ChainRunner
from wan_mcp.service.ledger import ledger, ledger_text
from wan_mcp.service.studio import Studio
from wan_mcp.states import PLANNED, ChainState, JobState, is_final, job_state
from wan_mcp.views import TaskView

EXIT_INTERRUPTED = 130
_WAIT_STEP_SECONDS = 5  # how long each poll may hold: the status shown is never older than this


def _service() -> AbstractAsyncContextManager[WanService]:
    """A running service for one command: its journal open, following only the jobs the command asks about."""
    settings = load_settings()
    configure_logging("WARNING", settings.secrets)
    return WanService.open(settings, adopt=False)


def _out() -> Console:
    return _console(Console(highlight=False))


def _err() -> Console:
    return _console(Console(stderr=True, highlight=False))


def _console(console: Console) -> Console:
    """Words wrap to a terminal's width; into a file or pipe, lines go whole."""
    console.soft_wrap = not console.is_terminal
    return console


def _show(args: argparse.Namespace, view: Any, text: Text | Any) -> None:
    """The result: JSON on stdout with --json, else the text."""
    if args.json:
        emit(view.model_dump(mode="json", exclude_none=True))
    else:
        _out().print(text, crop=False)  # a path longer than the terminal is written whole: the terminal folds it


def _refused(args: argparse.Namespace, exc: WanMcpError) -> None:
    """A refusal or error: today's JSON object with --json, else the problems and their fixes on stderr."""
    if args.json:
        if isinstance(exc, RequestInvalid):
            result: dict[str, Any] = {"error": exc.to_dict()}
            if len(exc.problems) > 1:
                result["errors"] = [p.to_dict() for p in exc.problems]
            emit(result)
        else:
            emit(error_object(exc.code, getattr(exc, "field", "") or "", exc.message, exc.fix))
        return
    console = _err()
    if isinstance(exc, RequestInvalid):
        console.print(Text("Refused before anything was sent or paid:", style="bold red"))
        for problem in exc.problems:
            console.print(Text(f"  {problem.field}: {cli_words(problem.message)}", style="red"))
            console.print(Text(f"    Fix: {cli_words(problem.fix)}"))
        return
    console.print(Text(f"{cli_words(exc.message)} ({exc.code})", style="bold red"))
    if exc.fix:
        console.print(Text(f"  Fix: {cli_words(exc.fix)}"))


def exit_for(state: str) -> int:
    """0 delivered (or planned), 2 still going, 1 ended without a video."""
    if state in (JobState.DELIVERED, PLANNED):
        return EXIT_OK
    job = job_state(state)
    if state == ChainState.RUNNING or (job is not None and not is_final(job)):
        return EXIT_REFUSED
    return EXIT_FAILED


def _run(go: Callable[[dict[str, str]], Awaitable[int]]) -> int:
    """Run an async command; on Ctrl-C say that the job goes on and how to follow it."""
    following: dict[str, str] = {}
    try:
        return anyio.run(go, following)
    except KeyboardInterrupt:
        if "job" in following:
            _err().print(
                f"\nStopped waiting; the job goes on. Follow it: wan-mcp poll {following['job']}", markup=False
            )
        return EXIT_INTERRUPTED


async def follow(service: Any, key: str) -> TaskView:
    """Wait for a job with the progress line on stderr, until it is delivered or ends."""
    with Progress(_err()) as progress:
        view: TaskView = await service.poll(key)
        while view.state in WORKING:
            progress.show(view)
            view = await service.poll(key, wait_seconds=_WAIT_STEP_SECONDS)
    return view


def run_submit(args: argparse.Namespace) -> int:
    arguments = read_arguments(args.args_json, as_json=args.json)
    if arguments is None:
        return EXIT_REFUSED

    async def go(following: dict[str, str]) -> int:
        try:
            async with _service() as service:
                view = await service.submit(arguments, dry_run=args.dry_run)
                if not (args.wait and view.task is not None):
                    _show(args, view, submit_text(view))
                    return EXIT_OK
                following["job"] = view.task.task_id or view.task.handle
                _err().print(Text(f"Submitted {following['job']}: {estimate_line(view)}", style="bold"))
                final = await follow(service, view.task.handle)
            _show(args, final, task_text(final))
            return exit_for(final.state)
        except WanMcpError as exc:
            _refused(args, exc)
            return EXIT_REFUSED

    return _run(go)


def run_poll(args: argparse.Namespace) -> int:
    async def go(following: dict[str, str]) -> int:
        try:
            async with _service() as service:
                if args.once:
                    view = await service.poll(args.task_id)
                else:
                    following["job"] = args.task_id
                    view = await follow(service, args.task_id)
            _show(args, view, task_text(view, once=args.once))
            return exit_for(view.state)
        except WanMcpError as exc:
            _refused(args, exc)
            return EXIT_FAILED

    return _run(go)


def run_tasks(args: argparse.Namespace) -> int:
    async def go(_: dict[str, str]) -> int:
        try:
            async with _service() as service:
                listing = await service.list(status=args.status, limit=args.limit)
        except WanMcpError as exc:
            _refused(args, exc)
            return EXIT_REFUSED
        _show(args, listing, tasks_table(listing, _out().width))
        return EXIT_OK

    return _run(go)


def run_spend(args: argparse.Namespace) -> int:
    async def go(_: dict[str, str]) -> int:
        try:
            async with _service() as service:
                book = await ledger(service.budgets, args.tenant)
        except WanMcpError as exc:
            _refused(args, exc)
            return EXIT_FAILED
        _show(args, book, Text(ledger_text(book)))
        return EXIT_OK

    return _run(go)


# -- the studio: frames, merges, extensions, long videos ------------------------------------------------------


def _studio_run(args: argparse.Namespace, action: Callable[[Any], Awaitable[Any]]) -> int:
    """Run an action with the service, chain runner and studio; show its result."""

    async def go(following: dict[str, str]) -> int:
        try:
            async with _service() as service:
                tools = SimpleNamespace(
                    service=service, runner=ChainRunner(service), studio=Studio(service), following=following
                )
                result = await action(tools)
        except WanMcpError as exc:
            _refused(args, exc)
            return EXIT_REFUSED
        text = task_text(result) if isinstance(result, TaskView) else Text(cli_words(result.message))
        _show(args, result, text)
        return exit_for(getattr(result, "state", JobState.DELIVERED))

    return _run(go)


async def _follow_chain(tools: Any, view: Any, wait: bool) -> Any:
    if not wait:
        return view
    tools.following["job"] = view.handle
    with Progress(_err()) as progress:
        while view.state not in (ChainState.DELIVERED, ChainState.FAILED, PLANNED):
            progress.show(view)
            chain = await tools.runner.wait(view.handle, _WAIT_STEP_SECONDS, None)
            view = await tools.runner.view(chain)
    return view


def run_extract_frame(args: argparse.Namespace) -> int:
    at: str | float = args.at if args.at in ("first", "last") else float(args.at)
    return _studio_run(args, lambda tools: tools.studio.extract_frame(args.source, at))


def run_merge(args: argparse.Namespace) -> int:
    return _studio_run(
        args,
        lambda tools: tools.studio.merge(args.videos, audio=args.audio, audio_mode=args.audio_mode, trim=args.trim),
    )


def run_extend(args: argparse.Namespace) -> int:
    async def action(tools: Any) -> Any:
        spec = await tools.studio.extension_spec(
            args.source,
            prompt=args.prompt,
            duration=args.duration,
            model=None,
            common={"resolution": args.resolution},
            method=args.method,
        )
        view = await tools.runner.start(spec, dry_run=args.dry_run, wait_seconds=0, progress=None)
        return await _follow_chain(tools, view, args.wait)

    return _studio_run(args, action)


def run_long(args: argparse.Namespace) -> int:
    try:
        shots = json.loads(args.shots_json)
    except json.JSONDecodeError as exc:
        message = f"--shots-json is not valid JSON: {exc.msg}"
        if args.json:
            emit(error_object("invalid_json", "shots-json", message, "pass a JSON list"))
        else:
            sys.stderr.write(f"{message}. Pass a JSON list of shots.\n")
        return EXIT_REFUSED
    try:
        spec = ChainSpec(
            kind="long",
            shots=tuple(Shot(str(shot["prompt"]), int(shot.get("duration", 5))) for shot in shots),
            image=args.image,
            aspect_ratio=args.aspect_ratio,
            common={"resolution": args.resolution},
        )
    except (TypeError, KeyError, ValueError, AttributeError):
        message = 'each shot is {"prompt": "…", "duration": seconds}'
        if args.json:
            emit(error_object("invalid_value", "shots-json", message, "fix the list"))
        else:
            sys.stderr.write(f"--shots-json: {message}.\n")
        return EXIT_REFUSED

    async def action(tools: Any) -> Any:
        view = await tools.runner.start(spec, dry_run=args.dry_run, wait_seconds=0, progress=None)
        return await _follow_chain(tools, view, args.wait)

    return _studio_run(args, action)
