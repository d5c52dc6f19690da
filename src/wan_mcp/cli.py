"""The `wan-mcp` command: the MCP server (stdio by default), the emulator, the demo and human subcommands.

This and `server` are the only modules that print or import `mcp`; heavy imports happen inside each subcommand so
that `wan-mcp plan` stays light.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from wan_mcp import __version__

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_REFUSED = 2  # also: still running (`poll --once`)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        args = parser.parse_args(["serve", *(argv or [])])
        handler = args.handler
    code: int = handler(args)
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wan-mcp",
        description="Make videos with Alibaba's Wan models (DashScope) from LLM agents. Without a command, serves MCP "
        "on stdio.",
    )
    parser.add_argument("--version", action="version", version=f"wan-mcp {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve MCP (stdio by default, or streamable HTTP)")
    serve.add_argument("--transport", choices=["stdio", "streamable-http"], default="stdio")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP: address to bind (default loopback)")
    serve.add_argument("--port", type=int, default=8000, help="HTTP: port (default 8000)")
    serve.set_defaults(handler=run_serve)

    demo = commands.add_parser(
        "demo",
        help="no key, no network: emulator + MCP server + client, ending with a real MP4 in the output folder",
    )
    demo.add_argument("--speed", type=float, default=20.0, help="emulator speed-up (default 20: a job takes seconds)")
    demo.add_argument("--prompt", default="A red fox trotting through fresh snow at sunrise, cinematic, soft light")
    demo.set_defaults(handler=run_demo)

    plan = commands.add_parser(
        "plan",
        help="validate a request and print the exact DashScope request, cost and wait (sends nothing)",
        description="Validate a video request and print the exact DashScope HTTP request, the estimate and the "
        "guardrail notes as one JSON object. Exit 0 when valid, 2 when refused. Needs no key and no network.",
    )
    _arguments(plan)
    plan.add_argument("--region", help="beijing (default), singapore, virginia or frankfurt; else DASHSCOPE_REGION")
    plan.set_defaults(handler=run_plan)

    submit = commands.add_parser("submit", help="submit a video job (prints the job as JSON)")
    _arguments(submit)
    submit.add_argument("--dry-run", action="store_true", help="validate and price only; send nothing")
    submit.add_argument(
        "--wait",
        action="store_true",
        help="wait until the video is downloaded (progress on stderr; prints the final job)",
    )
    submit.set_defaults(handler=run_submit)

    poll = commands.add_parser("poll", help="a job's status; exit 0 done, 2 still running, 1 failed")
    poll.add_argument("task_id", help="the task id or wan-… handle")
    poll.add_argument("--once", action="store_true", help="check once and exit (like the seed's --poll-once)")
    poll.set_defaults(handler=run_poll)

    tasks = commands.add_parser("tasks", help="list jobs from the journal, newest first")
    tasks.add_argument("--status", help="a DashScope status or journal state to filter on")
    tasks.add_argument("--limit", type=int, default=20)
    tasks.set_defaults(handler=run_tasks)

    frame = commands.add_parser("extract-frame", help="save a frame of a video as PNG (needs the media extra)")
    frame.add_argument("source", help="task id, handle or local video")
    frame.add_argument("--at", default="last", help="first, last, or seconds (default last)")
    frame.set_defaults(handler=run_extract_frame)

    merge = commands.add_parser("merge", help="join videos, optionally with a soundtrack (needs the media extra)")
    merge.add_argument("videos", nargs="+", help="task ids, handles or local videos, in order")
    merge.add_argument("--audio", help="a local WAV/MP3/M4A to lay over the result")
    merge.add_argument("--audio-mode", choices=["replace", "mix"], default="replace")
    merge.add_argument("--trim", choices=["video", "audio"], default="video")
    merge.set_defaults(handler=run_merge)

    extend = commands.add_parser("extend", help="continue a video from its last frame and join (a paid job)")
    extend.add_argument("source", help="task id, handle or local video")
    extend.add_argument("--prompt", required=True)
    extend.add_argument("--duration", type=int, default=5)
    extend.add_argument("--resolution")
    extend.add_argument("--method", choices=["i2v", "vace"], default="i2v")
    extend.add_argument("--dry-run", action="store_true")
    extend.add_argument("--wait", action="store_true", help="wait until the joined video exists")
    extend.set_defaults(handler=run_extend)

    long = commands.add_parser("long", help="a film of several shots, chained and joined (paid jobs)")
    long.add_argument("--shots-json", required=True, help='[{"prompt": "…", "duration": 5}, …]')
    long.add_argument("--image", help="start from this image instead of text")
    long.add_argument("--resolution")
    long.add_argument("--aspect-ratio")
    long.add_argument("--dry-run", action="store_true")
    long.add_argument("--wait", action="store_true", help="wait until the joined video exists")
    long.set_defaults(handler=run_long)

    skill = commands.add_parser("skill", help="the wan-video Agent Skill")
    skill_commands = skill.add_subparsers(title="skill commands", metavar="ACTION")
    install = skill_commands.add_parser("install", help="copy the skill into a skills folder")
    install.add_argument("--dest", help="the skills folder (default: ~/.claude/skills)")
    install.set_defaults(handler=run_skill_install)
    path = skill_commands.add_parser("path", help="print where the skill's files are")
    path.set_defaults(handler=run_skill_path)

    emulator = commands.add_parser(
        "emulator",
        help="run a local DashScope emulator (no key, no network, no money)",
        description="Serve a DashScope-compatible Wan video API on this machine: tasks, uploads, real MP4 results "
        "and fault injection (see /__emulator__). Point wan-mcp at it with DASHSCOPE_BASE_URL=http://HOST:PORT/api/v1.",
    )
    emulator.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    emulator.add_argument("--port", type=int, default=8765, help="port (0 picks a free one; default 8765)")
    emulator.add_argument("--speed", type=float, default=1.0, help="run tasks this many times faster (default 1)")
    emulator.add_argument("--api-key", help="the only key accepted (default: any non-empty key)")
    emulator.add_argument("--seed", type=int, default=0, help="seed for processing times and ids (default 0)")
    emulator.add_argument("--region", default="beijing", help="the region emulated (model names differ by region)")
    emulator.set_defaults(handler=run_emulator)
    return parser


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--args-json",
        required=True,
        metavar="JSON",
        help='the request arguments as a JSON object, e.g. \'{"mode": "t2v", "prompt": "…"}\' (or - for stdin)',
    )


def emit(data: Any) -> None:
    """Print one JSON document on stdout."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


def configure_logging(level: str = "INFO", secrets: tuple[str, ...] = ()) -> None:
    """Log to stderr only (stdout belongs to the MCP protocol on stdio), with secrets redacted."""
    from wan_mcp.config import SecretRedactor

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretRedactor(secrets))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level if level in ("DEBUG", "INFO", "WARNING", "ERROR") else "INFO")
    for noisy in ("httpx2", "httpcore2", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _read_arguments(text: str) -> dict[str, Any] | None:
    raw = sys.stdin.read() if text == "-" else text
    try:
        arguments = json.loads(raw)
    except json.JSONDecodeError as exc:
        emit(_error("invalid_json", "args-json", f"--args-json is not valid JSON: {exc.msg}", "pass a JSON object"))
        return None
    if not isinstance(arguments, dict):
        emit(_error("invalid_json", "args-json", "--args-json must be a JSON object", 'pass {"mode": …, …}'))
        return None
    return arguments


def _refusal(exc: Exception) -> dict[str, Any]:
    from wan_mcp.errors import RequestInvalid, WanMcpError

    if isinstance(exc, RequestInvalid):
        result: dict[str, Any] = {"error": exc.to_dict()}
        if len(exc.problems) > 1:
            result["errors"] = [p.to_dict() for p in exc.problems]
        return result
    assert isinstance(exc, WanMcpError)
    return _error(exc.code, getattr(exc, "field", "") or "", exc.message, exc.fix)


def run_plan(args: argparse.Namespace) -> int:
    from wan_mcp.config import load_settings
    from wan_mcp.errors import ConfigError, RequestInvalid
    from wan_mcp.requests import plan_request

    arguments = _read_arguments(args.args_json)
    if arguments is None:
        return EXIT_REFUSED
    try:
        settings = load_settings(region=args.region)
        plan = plan_request(
            arguments, region=settings.region, input_dir=settings.input_dir, allowed_dirs=settings.allowed_dirs
        )
    except RequestInvalid as exc:
        emit(_refusal(exc))
        return EXIT_REFUSED
    except ConfigError as exc:
        emit(_error(exc.code, "region", exc.message, exc.fix))
        return EXIT_REFUSED
    emit(plan.to_dict())
    return EXIT_OK


def run_serve(args: argparse.Namespace) -> int:
    from wan_mcp.config import load_settings
    from wan_mcp.server import build_server, serve_http
    from wan_mcp.server.http import is_loopback

    settings = load_settings()
    configure_logging(settings.log_level, settings.secrets)
    if args.transport == "stdio":
        build_server(settings).run("stdio")
        return EXIT_OK
    if not is_loopback(args.host) and settings.http_token is None and not settings.tenants:
        sys.stderr.write(
            f"Refusing to serve on {args.host}: an address that is not loopback needs WAN_MCP_HTTP_TOKEN (a bearer "
            "token every client must send) or WAN_MCP_TENANTS. Set one, or bind to 127.0.0.1.\n"
        )
        return EXIT_REFUSED
    serve_http(settings, args.host, args.port)
    return EXIT_OK


def _service() -> Any:
    """A running service for one command: its journal open, following only the jobs the command asks about."""
    from wan_mcp.config import load_settings
    from wan_mcp.service import WanService

    settings = load_settings()
    configure_logging("WARNING", settings.secrets)
    return WanService.open(settings, adopt=False)


def run_submit(args: argparse.Namespace) -> int:
    import anyio

    from wan_mcp.errors import WanMcpError

    arguments = _read_arguments(args.args_json)
    if arguments is None:
        return EXIT_REFUSED

    async def go() -> int:
        async with _service() as service:
            return await submit(service)

    async def submit(service: Any) -> int:
        try:
            view = await service.submit(arguments, dry_run=args.dry_run)
            if args.wait and view.task is not None:
                cost = view.estimate.cost
                price = f", about {cost:.2f} {view.estimate.currency}" if cost is not None else ""
                sys.stderr.write(
                    f"Submitted {view.task.task_id or view.task.handle}{price}; {view.estimate.wait_text}\n"
                )
                return await _follow(service, view.task.handle)
            emit(view.model_dump(mode="json", exclude_none=True))
            return EXIT_OK
        except WanMcpError as exc:
            emit(_refusal(exc))
            return EXIT_REFUSED

    return anyio.run(go)


def run_poll(args: argparse.Namespace) -> int:
    import anyio

    from wan_mcp.errors import WanMcpError

    async def go() -> int:
        try:
            async with _service() as service:
                if args.once:
                    view = await service.poll(args.task_id)
                    emit(view.model_dump(mode="json", exclude_none=True))
                    return _exit_for(view.state)
                return await _follow(service, (await service.find(args.task_id)).handle)
        except WanMcpError as exc:
            emit(_refusal(exc))
            return EXIT_FAILED

    return anyio.run(go)


async def _follow(service: Any, handle: str) -> int:
    """Wait for a job with a progress line on stderr; print the final job as JSON."""

    async def progress(_: float, __: float | None, message: str) -> None:
        sys.stderr.write(f"\r{message:<70}")
        sys.stderr.flush()

    while True:
        view = await service.poll(handle, wait_seconds=50, progress=progress)
        if view.state not in ("submitting", "submitted", "downloading"):
            sys.stderr.write("\n")
            emit(view.model_dump(mode="json", exclude_none=True))
            return _exit_for(view.state)


def _exit_for(state: str) -> int:
    if state == "delivered":
        return EXIT_OK
    if state in ("submitting", "submitted", "downloading", "unconfirmed"):
        return EXIT_REFUSED
    return EXIT_FAILED


def run_tasks(args: argparse.Namespace) -> int:
    import anyio

    async def go() -> Any:
        async with _service() as service:
            return await service.list(status=args.status, limit=args.limit)

    emit(anyio.run(go).model_dump(mode="json", exclude_none=True))
    return EXIT_OK


def run_emulator(args: argparse.Namespace) -> int:
    from wan_mcp.config import parse_region
    from wan_mcp.emulator.app import EmulatorConfig, run

    configure_logging("INFO")
    if args.speed <= 0:
        sys.stderr.write("--speed must be positive\n")
        return EXIT_REFUSED
    config = EmulatorConfig(api_key=args.api_key, speed=args.speed, seed=args.seed, region=parse_region(args.region))

    def ready(port: int) -> None:
        sys.stderr.write(f"DashScope emulator listening on http://{args.host}:{port}/api/v1 (speed x{args.speed:g})\n")
        sys.stderr.flush()

    run(config, args.host, args.port, ready)
    return EXIT_OK


def _studio_run(action: Any) -> int:
    """Run an async action with the service, chain runner and studio; print its result as JSON."""
    import anyio

    from wan_mcp.errors import WanMcpError
    from wan_mcp.service.chains import ChainRunner
    from wan_mcp.service.studio import Studio

    async def go() -> int:
        try:
            async with _service() as service:
                tools = SimpleNamespace(service=service, runner=ChainRunner(service), studio=Studio(service))
                result = await action(tools)
        except WanMcpError as exc:
            emit(_refusal(exc))
            return EXIT_REFUSED
        emit(result.model_dump(mode="json", exclude_none=True))
        state = getattr(result, "state", "delivered")
        return EXIT_OK if state in ("delivered", "planned") else _exit_for(state)

    return anyio.run(go)


async def _follow_chain(runner: Any, view: Any, wait: bool) -> Any:
    async def progress(_: float, __: float | None, message: str) -> None:
        sys.stderr.write(f"\r{message:<70}")
        sys.stderr.flush()

    while wait and view.state not in ("delivered", "failed", "planned"):
        chain = await runner.wait(view.handle, 50, progress)
        view = await runner.view(chain)
    if wait:
        sys.stderr.write("\n")
    return view


def run_extract_frame(args: argparse.Namespace) -> int:
    at: str | float = args.at if args.at in ("first", "last") else float(args.at)
    return _studio_run(lambda tools: tools.studio.extract_frame(args.source, at))


def run_merge(args: argparse.Namespace) -> int:
    return _studio_run(
        lambda tools: tools.studio.merge(args.videos, audio=args.audio, audio_mode=args.audio_mode, trim=args.trim)
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
        return await _follow_chain(tools.runner, view, args.wait)

    return _studio_run(action)


def run_long(args: argparse.Namespace) -> int:
    try:
        shots = json.loads(args.shots_json)
    except json.JSONDecodeError as exc:
        emit(_error("invalid_json", "shots-json", f"--shots-json is not valid JSON: {exc.msg}", "pass a JSON list"))
        return EXIT_REFUSED
    from wan_mcp.service.chains import ChainSpec, Shot

    try:
        spec = ChainSpec(
            kind="long",
            shots=tuple(Shot(str(s["prompt"]), int(s.get("duration", 5))) for s in shots),
            image=args.image,
            aspect_ratio=args.aspect_ratio,
            common={"resolution": args.resolution},
        )
    except (TypeError, KeyError, ValueError, AttributeError):
        emit(_error("invalid_value", "shots-json", 'each shot is {"prompt": …, "duration": …}', "fix the list"))
        return EXIT_REFUSED

    async def action(tools: Any) -> Any:
        view = await tools.runner.start(spec, dry_run=args.dry_run, wait_seconds=0, progress=None)
        return await _follow_chain(tools.runner, view, args.wait)

    return _studio_run(action)


def run_skill_install(args: argparse.Namespace) -> int:
    from pathlib import Path

    from wan_mcp.skill import install

    target = install(Path(args.dest).expanduser() if args.dest else None)
    sys.stdout.write(f"Installed the wan-video skill at {target}\n")
    return EXIT_OK


def run_skill_path(_: argparse.Namespace) -> int:
    from wan_mcp.skill import skill_dir

    sys.stdout.write(f"{skill_dir()}\n")
    return EXIT_OK


def run_demo(args: argparse.Namespace) -> int:
    from wan_mcp.cli_demo import run_demo as demo

    return demo(speed=args.speed, prompt=args.prompt)


def _error(code: str, field: str, message: str, fix: str) -> dict[str, Any]:
    return {"error": {"code": code, "field": field, "message": message, "fix": fix}}


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
