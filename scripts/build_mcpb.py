#!/usr/bin/env python3
"""Build dist/wan-mcp.mcpb, the one-click bundle for Claude Desktop (and other MCPB hosts). Run with no arguments.

The bundle is the package's source with a manifest (manifest_version 0.4, server type "uv"): the host installs
the dependencies from pyproject.toml with uv and starts `uv run --directory <bundle> wan-mcp`. The user is asked
for the DashScope API key (stored as a secret), the region and, optionally, the output folder.

The bundle carries a uv.lock made at build time, so every host installs the versions this build resolved (and
its uv need not resolve again). Needs Node.js's npm: the mcpb CLI (which validates and packs) is installed into
.cache/tools on first use, and so is uv (with pip) when it is not on PATH.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MCPB_PACKAGE = "@anthropic-ai/mcpb@2.1.2"
TOOLS_DIR = ROOT / ".cache" / "tools" / "npm"
UV_DIR = ROOT / ".cache" / "tools" / "uv"
STAGE = ROOT / "build" / "mcpb"
BUNDLE = ROOT / "dist" / "wan-mcp.mcpb"
REPOSITORY = "https://github.com/wan-mcp/wan-mcp"
SHIPPED = ("pyproject.toml", "README.md", "LICENSE", "src/wan_mcp", "skills/wan-video")

TOOLS = {  # checked against the bundled server's tools/list by tests/test_bundle.py
    "list_modes": "Every video mode and model with its limits, prices and typical wait",
    "submit_video": "Validate, price and submit a video job (dry_run shows the exact request and cost)",
    "poll_task": "A job's status; the verified local file when it is done",
    "list_tasks": "Jobs from the journal, newest first",
    "cancel_task": "Cancel a job that is still queued",
    "extract_frame": "A frame of a video as a PNG, ready for image-to-video",
    "merge_media": "Join videos in order, optionally with a soundtrack",
    "extend_video": "Continue a video from its last frame and join the new part",
    "make_long_video": "Several shots chained from each other's last frame, joined into one film",
}


def version() -> str:
    """The package version from pyproject.toml (the bundle's version is always the package's)."""
    found = re.search(r'(?m)^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    if found is None:
        raise SystemExit("pyproject.toml has no version")
    return found.group(1)


def manifest() -> dict[str, object]:
    return {
        "manifest_version": "0.4",
        "name": "wan-mcp",
        "display_name": "Wan video generation",
        "version": version(),
        "description": json.loads((ROOT / "server.json").read_text(encoding="utf-8"))["description"],
        "long_description": (
            "Lets Claude make videos with Alibaba's Wan models through DashScope (Model Studio): text, image, "
            "first and last frame, reference, VACE editing, speech-driven portraits, character animation and Wan "
            "3.0. Requests that would fail are refused before they cost anything; every job is journaled before it "
            "is sent, so none is lost or paid twice; the result is downloaded and verified on your disk."
        ),
        "author": {"name": "wan-mcp developers", "url": REPOSITORY},
        "repository": {"type": "git", "url": f"{REPOSITORY}.git"},
        "homepage": REPOSITORY,
        "documentation": f"{REPOSITORY}#readme",
        "support": f"{REPOSITORY}/issues",
        "license": "Apache-2.0",
        "keywords": ["video", "wan", "dashscope", "alibaba", "text-to-video", "image-to-video"],
        "server": {
            "type": "uv",
            "entry_point": "src/wan_mcp/__main__.py",
            "mcp_config": {
                "command": "uv",
                "args": ["run", "--directory", "${__dirname}", "wan-mcp"],
                "env": {
                    "DASHSCOPE_API_KEY": "${user_config.api_key}",
                    "DASHSCOPE_REGION": "${user_config.region}",
                    "WAN_MCP_OUTPUT_DIR": "${user_config.output_dir}",
                },
            },
        },
        "tools": [{"name": name, "description": text} for name, text in TOOLS.items()],
        "compatibility": {"platforms": ["darwin", "win32", "linux"], "runtimes": {"python": ">=3.10"}},
        "user_config": {
            "api_key": {
                "type": "string",
                "title": "DashScope API key",
                "description": "Your Model Studio (DashScope) API key. Keys are bound to a region: choose it below.",
                "sensitive": True,
                "required": True,
            },
            "region": {
                "type": "string",
                "title": "Region: beijing, singapore, virginia or frankfurt",
                "description": "The region of your key (one of beijing, singapore, virginia, frankfurt).",
                "default": "beijing",
                "required": False,
            },
            "output_dir": {
                "type": "directory",
                "title": "Output folder",
                "description": "Where videos are saved. Empty: a wan-mcp folder in your Videos (macOS: Movies) folder.",
                "required": False,
            },
        },
    }


def mcpb() -> Path:
    """The mcpb CLI, installed with npm into .cache/tools on first use."""
    binary = TOOLS_DIR / "node_modules" / ".bin" / "mcpb"
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("npm is needed to install the mcpb CLI (install Node.js)")
        TOOLS_DIR.mkdir(parents=True, exist_ok=True)
        command = [npm, "install", "--prefix", str(TOOLS_DIR), MCPB_PACKAGE, "--no-audit", "--no-fund", "--silent"]
        subprocess.run(command, check=True)
    return binary


def uv() -> Path:
    """uv from PATH, else installed with pip into .cache/tools on first use."""
    found = shutil.which("uv")
    if found:
        return Path(found)
    binary = UV_DIR / "bin" / ("uv.exe" if sys.platform == "win32" else "uv")
    if not binary.exists():
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "uv"]
        command += ["--root-user-action=ignore"]  # pip warns about root otherwise; the target is our own folder
        subprocess.run([*command, "--target", str(UV_DIR)], check=True)
    return binary


def stage() -> Path:
    """A clean folder with what the bundle holds: the manifest and the package's source."""
    shutil.rmtree(STAGE, ignore_errors=True)
    STAGE.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in SHIPPED:
        source, target = ROOT / name, STAGE / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=ignore)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    text = json.dumps(manifest(), indent=2, ensure_ascii=False) + "\n"
    (STAGE / "manifest.json").write_text(text, encoding="utf-8")
    return STAGE


def main() -> int:
    if len(sys.argv) > 1:
        raise SystemExit(f"usage: {sys.argv[0]} (no arguments; writes {BUNDLE.relative_to(ROOT)})")
    cli = mcpb()
    folder = stage()
    subprocess.run([str(uv()), "lock", "--quiet", "--directory", str(folder)], check=True)
    subprocess.run([str(cli), "validate", str(folder / "manifest.json")], check=True)
    BUNDLE.parent.mkdir(parents=True, exist_ok=True)
    BUNDLE.unlink(missing_ok=True)
    subprocess.run([str(cli), "pack", str(folder), str(BUNDLE)], check=True, stdout=subprocess.DEVNULL)
    print(f"{BUNDLE} ({BUNDLE.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
