"""The one-click bundle: scripts/build_mcpb.py builds dist/wan-mcp.mcpb, `mcpb validate` accepts what it ships, and
the server started the way its manifest says (`uv run --directory <bundle> wan-mcp`) answers tools/list.

The test installs what it needs (the mcpb CLI with npm, uv with pip) into .cache/tools on its first run.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from conftest import CANARY_KEY, TOOLS

ROOT = Path(__file__).resolve().parent.parent


def build_script() -> ModuleType:
    """scripts/build_mcpb.py as a module (its mcpb() and uv() find or install the tools)."""
    spec = importlib.util.spec_from_file_location("build_mcpb", ROOT / "scripts" / "build_mcpb.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundle built by the script with no arguments, unpacked by `mcpb unpack` as a host would."""
    if shutil.which("npm") is None:
        pytest.skip("npm (Node.js) is needed to install the mcpb CLI")
    built = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_mcpb.py")],
        check=False,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    script = build_script()
    assert script.BUNDLE.is_file() and str(script.BUNDLE) in built.stdout
    fresh = tmp_path_factory.mktemp("bundle") / "wan-mcp"
    subprocess.run(
        [str(script.mcpb()), "unpack", str(script.BUNDLE), str(fresh)], check=True, capture_output=True, timeout=120
    )
    return installed(fresh)


def installed(fresh: Path) -> Path:
    """The unpacked bundle moved to .cache/bundle/wan-mcp, replacing all but the .venv uv made there last time (as a
    host keeps an extension's folder between launches): a second run need not install every dependency again."""
    target = ROOT / ".cache" / "bundle" / "wan-mcp"
    target.mkdir(parents=True, exist_ok=True)
    for entry in target.iterdir():
        if entry.name != ".venv":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    for entry in fresh.iterdir():
        shutil.move(str(entry), target / entry.name)
    return target


def manifest_of(bundle: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    return data


def test_bundle_manifest_validates(bundle: Path) -> None:
    """`mcpb validate` accepts the shipped manifest: 0.4, a uv server, the key as a secret, region, output folder."""
    validated = subprocess.run(
        [str(build_script().mcpb()), "validate", str(bundle / "manifest.json")],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    manifest = manifest_of(bundle)
    server, settings = manifest["server"], manifest["user_config"]
    version = re.search(r'(?m)^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text()).group(1)  # type: ignore[union-attr]

    assert validated.returncode == 0 and "validation passes" in validated.stdout, validated.stdout + validated.stderr
    assert (manifest["manifest_version"], server["type"], manifest["version"]) == ("0.4", "uv", version)
    assert server["mcp_config"]["command"] == "uv"
    assert server["mcp_config"]["args"] == ["run", "--directory", "${__dirname}", "wan-mcp"]
    assert server["mcp_config"]["env"] == {
        "DASHSCOPE_API_KEY": "${user_config.api_key}",
        "DASHSCOPE_REGION": "${user_config.region}",
        "WAN_MCP_OUTPUT_DIR": "${user_config.output_dir}",
    }
    assert settings["api_key"]["sensitive"] is True and settings["api_key"]["required"] is True
    assert settings["region"]["default"] == "beijing" and settings["output_dir"]["type"] == "directory"
    for name in ("pyproject.toml", "uv.lock", "README.md", "src/wan_mcp/__main__.py", "skills/wan-video/SKILL.md"):
        assert (bundle / name).is_file(), name
    assert (bundle / "LICENSE").read_text().split()[:4] == ["Apache", "License", "Version", "2.0,"]


@pytest.mark.anyio
async def test_bundled_server_answers_tools_list(bundle: Path, tmp_path: Path) -> None:
    """Started as the manifest says, with the user's settings filled in, the server lists the manifest's tools."""
    manifest = manifest_of(bundle)
    config = manifest["server"]["mcp_config"]
    values = {
        "__dirname": str(bundle),
        "user_config.api_key": CANARY_KEY,
        "user_config.region": "singapore",
        "user_config.output_dir": str(tmp_path / "videos"),
    }

    def fill(text: str) -> str:
        return re.sub(r"\$\{([^}]+)\}", lambda found: values[found.group(1)], text)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASHSCOPE_", "WAN_MCP_", "VIRTUAL_ENV"))}
    env |= {name: fill(value) for name, value in config["env"].items()}
    env |= {"WAN_MCP_DATA_DIR": str(tmp_path / "data"), "UV_PYTHON": sys.executable, "UV_PYTHON_DOWNLOADS": "never"}
    command = str(build_script().uv()) if config["command"] == "uv" else config["command"]
    server = StdioServerParameters(command=command, args=[fill(arg) for arg in config["args"]], env=env)

    async with Client(server) as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}

    assert tools == {tool["name"] for tool in manifest["tools"]} == TOOLS
