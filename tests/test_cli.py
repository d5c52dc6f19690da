"""`wan-mcp plan`: one JSON object, exit 0 or 2, no key, no network, nothing heavy imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cases import AUDIO, IMAGE, IMAGE_2, VIDEO
from wan_mcp.cli import main

EVERY_MODE = [
    {"mode": "t2v", "prompt": "A kitten running in the moonlight"},
    {"mode": "i2v", "prompt": "the cat turns its head", "image": IMAGE},
    {"mode": "kf2v", "first_frame": IMAGE, "last_frame": IMAGE_2},
    {"mode": "r2v", "prompt": "character1 dances", "references": [VIDEO]},
    {"mode": "vace", "function": "video_outpainting", "prompt": "an orchestra", "video": VIDEO},
    {"mode": "s2v", "image": IMAGE, "audio": AUDIO},
    {"mode": "animate", "image": IMAGE, "video": VIDEO},
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out)


@pytest.mark.parametrize("args", EVERY_MODE, ids=[a["mode"] for a in EVERY_MODE])
def test_plan_answers_every_mode(capsys: pytest.CaptureFixture[str], args: dict[str, Any]) -> None:
    """Every mode plans to {request: {method, path, headers, body}, estimate, notes} with exit 0."""
    code, data = run(capsys, "plan", "--args-json", json.dumps(args))
    assert code == 0
    assert set(data["request"]) == {"method", "path", "headers", "body"}
    assert data["estimate"]["wait_seconds"]["low"] > 0 and data["notes"]
    assert data["mode"] == args["mode"]


def test_plan_refusal_is_one_error_object_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """A doomed request prints {error: {code, field, message, fix}} (and every error) and exits 2."""
    code, data = run(capsys, "plan", "--args-json", json.dumps({"mode": "kf2v", "first_frame": IMAGE, "audio": AUDIO}))
    assert code == 2
    assert set(data["error"]) == {"code", "field", "message", "fix"}
    assert {e["field"] for e in data["errors"]} == {"audio", "last_frame"}


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["plan", "--args-json", "{not json"], "args-json"),
        (["plan", "--args-json", "[1, 2]"], "args-json"),
        (["plan", "--args-json", '{"mode": "t2v", "prompt": "p"}', "--region", "mars"], "region"),
    ],
)
def test_plan_bad_invocations(capsys: pytest.CaptureFixture[str], argv: list[str], field: str) -> None:
    """Bad JSON or an unknown region is reported as a refusal naming what to fix."""
    code, data = run(capsys, *argv)
    assert code == 2 and data["error"]["field"] == field and data["error"]["fix"]


def test_plan_region_flag_and_env(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """--region beats DASHSCOPE_REGION, which beats the default (Beijing)."""
    args = json.dumps({"mode": "t2v", "model": "wanx2.1-t2v-turbo", "prompt": "p"})
    monkeypatch.setenv("DASHSCOPE_REGION", "singapore")
    assert run(capsys, "plan", "--args-json", args)[1]["request"]["body"]["model"] == "wan2.1-t2v-turbo"
    assert run(capsys, "plan", "--args-json", args, "--region", "beijing")[1]["request"]["body"]["model"] == (
        "wanx2.1-t2v-turbo"
    )


def test_plan_reads_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """--args-json - reads the arguments from standard input."""
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO('{"mode": "t2v", "prompt": "p"}'))
    assert run(capsys, "plan", "--args-json", "-")[0] == 0


def test_console_script_imports_nothing_heavy_and_needs_no_key(tmp_path: Path) -> None:
    """The real command runs without a key or network and never imports mcp, httpx2, anyio, PyAV or rich."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASHSCOPE_")}
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['wan-mcp', 'plan', '--args-json', '{\"mode\": \"t2v\", \"prompt\": \"p\"}']\n"
        "try:\n"
        "    runpy.run_module('wan_mcp', run_name='__main__')\n"
        "except SystemExit as exit:\n"
        "    heavy = {'mcp', 'httpx2', 'anyio', 'av', 'starlette', 'uvicorn', 'rich'}\n"
        "    heavy = sorted(m for m in sys.modules if m.split('.')[0] in heavy)\n"
        "    sys.stderr.write(f'EXIT={exit.code} HEAVY={heavy}')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path, check=False
    )
    assert "EXIT=0 HEAVY=[]" in result.stderr, result.stderr
    assert json.loads(result.stdout)["request"]["body"]["model"] == "wan2.6-t2v"


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    """`wan-mcp --help` names the server, the demo and the human commands."""
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("serve", "demo", "plan", "submit", "poll", "tasks", "emulator"):
        assert command in out
