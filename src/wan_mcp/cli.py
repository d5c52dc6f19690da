"""The `wan-mcp` command: human subcommands (plan, …); the only module besides `server` that may print."""

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
EXIT_REFUSED = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_REFUSED
    code: int = handler(args)
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wan-mcp",
        description="Make videos with Alibaba's Wan models (DashScope) from LLM agents.",
    )
    parser.add_argument("--version", action="version", version=f"wan-mcp {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    plan = commands.add_parser(
        "plan",
        help="validate a request and print the exact DashScope request, cost and wait (sends nothing)",
        description="Validate a video request and print the exact DashScope HTTP request, the estimate and the "
        "guardrail notes as one JSON object. Exit 0 when valid, 2 when refused. Needs no key and no network.",
    )
    plan.add_argument(
        "--args-json",
        required=True,
        metavar="JSON",
        help='the request arguments as a JSON object, e.g. \'{"mode": "t2v", "prompt": "…"}\' (or - for stdin)',
    )
    plan.add_argument("--region", help="beijing (default), singapore, virginia or frankfurt; else DASHSCOPE_REGION")
    plan.set_defaults(handler=run_plan)

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


def emit(data: Any) -> None:
    """Print one JSON document on stdout."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def run_plan(args: argparse.Namespace) -> int:
    from wan_mcp.config import load_settings
    from wan_mcp.errors import RequestInvalid, WanMcpError
    from wan_mcp.requests import plan_request

    text = sys.stdin.read() if args.args_json == "-" else args.args_json
    try:
        arguments = json.loads(text)
    except json.JSONDecodeError as exc:
        emit(_error("invalid_json", "args-json", f"--args-json is not valid JSON: {exc.msg}", "pass a JSON object"))
        return EXIT_REFUSED
    if not isinstance(arguments, dict):
        emit(_error("invalid_json", "args-json", "--args-json must be a JSON object", 'pass {"mode": …, …}'))
        return EXIT_REFUSED
    try:
        settings = load_settings(region=args.region)
        plan = plan_request(arguments, region=settings.region, input_dir=settings.input_dir)
    except RequestInvalid as exc:
        result: dict[str, Any] = {"error": exc.to_dict()}
        if len(exc.problems) > 1:
            result["errors"] = [p.to_dict() for p in exc.problems]
        emit(result)
        return EXIT_REFUSED
    except WanMcpError as exc:
        emit(_error(exc.code, "region", exc.message, exc.fix))
        return EXIT_REFUSED
    emit(plan.to_dict())
    return EXIT_OK


def run_emulator(args: argparse.Namespace) -> int:
    from wan_mcp.config import parse_region
    from wan_mcp.emulator.app import EmulatorConfig, run

    configure_logging()
    if args.speed <= 0:
        sys.stderr.write("--speed must be positive\n")
        return EXIT_REFUSED
    config = EmulatorConfig(api_key=args.api_key, speed=args.speed, seed=args.seed, region=parse_region(args.region))

    def ready(port: int) -> None:
        sys.stderr.write(f"DashScope emulator listening on http://{args.host}:{port}/api/v1 (speed x{args.speed:g})\n")
        sys.stderr.flush()

    run(config, args.host, args.port, ready)
    return EXIT_OK


def configure_logging(level: int = logging.INFO) -> None:
    """Log to stderr only: stdout belongs to the MCP protocol when serving stdio."""
    logging.basicConfig(level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _error(code: str, field: str, message: str, fix: str) -> dict[str, Any]:
    return {"error": {"code": code, "field": field, "message": message, "fix": fix}}


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
