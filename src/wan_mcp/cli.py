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
from typing import Any

from wan_mcp import __version__

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_REFUSED = 2  # also: still running (`poll --once`)
SERVE_DEFAULTS = {"transport": "stdio", "host": "127.0.0.1", "port": 8000}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    if not (sys.argv[1:] if argv is None else argv):  # how MCP clients start it: serve on stdio, parsing nothing
        return run_serve(argparse.Namespace(**SERVE_DEFAULTS))
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
    serve.add_argument("--transport", choices=["stdio", "streamable-http"], default=SERVE_DEFAULTS["transport"])
    serve.add_argument("--host", default=SERVE_DEFAULTS["host"], help="HTTP: address to bind (default loopback)")
    serve.add_argument("--port", type=int, default=SERVE_DEFAULTS["port"], help="HTTP: port (default 8000)")
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

    submit = commands.add_parser(
        "submit",
        help="submit a video job (a paid job: try --dry-run first)",
        description="Validate and submit a video job. Prints what it costs and how long it usually takes; with --wait, "
        "shows its progress and ends with the verified file. Exit 0 when submitted (or delivered with --wait), 2 when "
        "refused (nothing is sent or paid) or still running, 1 when the job failed.",
    )
    _arguments(submit)
    submit.add_argument("--dry-run", action="store_true", help="validate and price only; send nothing")
    submit.add_argument("--wait", action="store_true", help="wait until the video is downloaded, showing progress")
    _json_flag(submit)
    submit.set_defaults(handler=_jobs("run_submit"))

    poll = commands.add_parser(
        "poll",
        help="wait for a job and download its video; exit 0 done, 2 still running, 1 failed",
        description="Follow a job until its video is downloaded and verified, showing its progress (Ctrl-C stops "
        "waiting; the job goes on). With --once, check once and exit.",
    )
    poll.add_argument("task_id", help="the task id or the wan-… job id (wan-mcp tasks lists them)")
    poll.add_argument("--once", action="store_true", help="check once and exit: 0 done, 2 still running, 1 failed")
    _json_flag(poll)
    poll.set_defaults(handler=_jobs("run_poll"))

    tasks = commands.add_parser("tasks", help="list jobs from the journal, newest first")
    tasks.add_argument("--status", help="only jobs with this status (RUNNING, SUCCEEDED…) or state (delivered…)")
    tasks.add_argument("--limit", type=int, default=20, help="at most this many (default 20)")
    _json_flag(tasks)
    tasks.set_defaults(handler=_jobs("run_tasks"))

    spend = commands.add_parser("spend", help="what was spent and is running, today and this month, and the budgets")
    spend.add_argument("--tenant", help="hosted mode: only this tenant (default: everyone, with a line per tenant)")
    _json_flag(spend)
    spend.set_defaults(handler=_jobs("run_spend"))

    frame = commands.add_parser("extract-frame", help="save a frame of a video as PNG (needs the media extra)")
    frame.add_argument("source", help="task id, job id or local video")
    frame.add_argument("--at", default="last", help="first, last, or seconds (default last)")
    _json_flag(frame)
    frame.set_defaults(handler=_jobs("run_extract_frame"))

    merge = commands.add_parser("merge", help="join videos, optionally with a soundtrack (needs the media extra)")
    merge.add_argument("videos", nargs="+", help="task ids, job ids or local videos, in order")
    merge.add_argument("--audio", help="a local WAV/MP3/M4A to lay over the result")
    merge.add_argument("--audio-mode", choices=["replace", "mix"], default="replace")
    merge.add_argument("--trim", choices=["video", "audio"], default="video")
    _json_flag(merge)
    merge.set_defaults(handler=_jobs("run_merge"))

    extend = commands.add_parser("extend", help="continue a video from its last frame and join (a paid job)")
    extend.add_argument("source", help="task id, job id or local video")
    extend.add_argument("--prompt", required=True)
    extend.add_argument("--duration", type=int, default=5)
    extend.add_argument("--resolution")
    extend.add_argument("--method", choices=["i2v", "vace"], default="i2v")
    extend.add_argument("--dry-run", action="store_true")
    extend.add_argument("--wait", action="store_true", help="wait until the joined video exists")
    _json_flag(extend)
    extend.set_defaults(handler=_jobs("run_extend"))

    long = commands.add_parser("long", help="a film of several shots, chained and joined (paid jobs)")
    long.add_argument("--shots-json", required=True, help='[{"prompt": "…", "duration": 5}, …]')
    long.add_argument("--image", help="start from this image instead of text")
    long.add_argument("--resolution")
    long.add_argument("--aspect-ratio")
    long.add_argument("--dry-run", action="store_true")
    long.add_argument("--wait", action="store_true", help="wait until the joined video exists")
    _json_flag(long)
    long.set_defaults(handler=_jobs("run_long"))

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


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as JSON (for scripts)")


def _jobs(name: str) -> Any:
    """The handler `name` of cli_jobs, imported only when that command runs (it brings rich and the service)."""

    def handler(args: argparse.Namespace) -> int:
        from wan_mcp import cli_jobs

        code: int = getattr(cli_jobs, name)(args)
        return code

    return handler


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


def read_arguments(text: str, *, as_json: bool = True) -> dict[str, Any] | None:
    """The --args-json object (from stdin for -); None after saying what is wrong (as JSON, or on stderr)."""
    raw = sys.stdin.read() if text == "-" else text
    try:
        arguments = json.loads(raw)
    except json.JSONDecodeError as exc:
        problem = (f"--args-json is not valid JSON: {exc.msg}", "pass a JSON object")
    else:
        if isinstance(arguments, dict):
            return arguments
        problem = ("--args-json must be a JSON object", 'pass {"mode": …, …}')
    if as_json:
        emit(error_object("invalid_json", "args-json", *problem))
    else:
        sys.stderr.write(f'{problem[0]}: {problem[1]}, e.g. \'{{"mode": "t2v", "prompt": "a fox"}}\'.\n')
    return None


def _refusal(exc: Exception) -> dict[str, Any]:
    from wan_mcp.errors import RequestInvalid, WanMcpError

    if isinstance(exc, RequestInvalid):
        result: dict[str, Any] = {"error": exc.to_dict()}
        if len(exc.problems) > 1:
            result["errors"] = [p.to_dict() for p in exc.problems]
        return result
    assert isinstance(exc, WanMcpError)
    return error_object(exc.code, getattr(exc, "field", "") or "", exc.message, exc.fix)


def run_plan(args: argparse.Namespace) -> int:
    from wan_mcp.config import load_settings
    from wan_mcp.errors import ConfigError, RequestInvalid
    from wan_mcp.requests import plan_request

    arguments = read_arguments(args.args_json)
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
        emit(error_object(exc.code, "region", exc.message, exc.fix))
        return EXIT_REFUSED
    emit(plan.to_dict())
    return EXIT_OK


def run_serve(args: argparse.Namespace) -> int:
    from wan_mcp.config import load_settings
    from wan_mcp.errors import ConfigError
    from wan_mcp.server import build_server, serve_http

    try:
        settings = load_settings()
    except ConfigError as exc:  # the client's log shows this line: say what to change, not a traceback
        sys.stderr.write(f"wan-mcp cannot start: {exc.message}. Fix: {exc.fix}.\n")
        return EXIT_REFUSED
    configure_logging(settings.log_level, settings.secrets)
    if args.transport == "stdio":
        build_server(settings).run("stdio")
        return EXIT_OK
    from wan_mcp.server.http import is_loopback  # HTTP only: stdio start-up stays light

    if not is_loopback(args.host) and settings.http_token is None and not settings.tenants:
        sys.stderr.write(
            f"Refusing to serve on {args.host}: an address that is not loopback needs WAN_MCP_HTTP_TOKEN (a bearer "
            "token every client must send) or WAN_MCP_TENANTS. Set one, or bind to 127.0.0.1.\n"
        )
        return EXIT_REFUSED
    serve_http(settings, args.host, args.port)
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


def error_object(code: str, field: str, message: str, fix: str) -> dict[str, Any]:
    """{error: {code, field, message, fix}}, the shape of every refusal printed as JSON."""
    return {"error": {"code": code, "field": field, "message": message, "fix": fix}}


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
