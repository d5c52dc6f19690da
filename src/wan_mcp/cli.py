"""The `wan-mcp` command: human subcommands (plan, …); the only module besides `server` that may print."""

from __future__ import annotations

import argparse
import json
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


def _error(code: str, field: str, message: str, fix: str) -> dict[str, Any]:
    return {"error": {"code": code, "field": field, "message": message, "fix": fix}}


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
