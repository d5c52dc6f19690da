"""The package's public surface and settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import wan_mcp
from wan_mcp.config import load_settings, parse_region
from wan_mcp.errors import ConfigError

ROOT = Path(__file__).parent.parent


def test_exported_members() -> None:
    """__all__ is sorted (isort-style: constants, classes, then functions), and every name in it exists."""

    def group(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert wan_mcp.__all__ == sorted(wan_mcp.__all__, key=group)
    for name in wan_mcp.__all__:
        assert hasattr(wan_mcp, name), name


def test_version_matches_pyproject() -> None:
    """The package version is the one in pyproject.toml."""
    match = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    assert match and match.group(1) == wan_mcp.__version__


def test_settings_from_environment() -> None:
    """Region, key, base URL and workspace come from the environment; the key is a secret."""
    settings = load_settings({"DASHSCOPE_API_KEY": "sk-canary-123", "DASHSCOPE_REGION": "intl"})
    assert settings.region == "singapore" and settings.base_url == "https://dashscope-intl.aliyuncs.com/api/v1"
    assert "sk-canary-123" not in repr(settings)
    assert settings.api_key is not None and settings.api_key.get_secret_value() == "sk-canary-123"
    override = load_settings({"DASHSCOPE_HTTP_BASE_URL": "http://127.0.0.1:9/api/v1/"})
    assert override.base_url == "http://127.0.0.1:9/api/v1" and override.region == "beijing"
    frankfurt = load_settings({"DASHSCOPE_REGION": "frankfurt", "DASHSCOPE_WORKSPACE": "ws-1"})
    assert frankfurt.base_url == "https://ws-1.eu-central-1.maas.aliyuncs.com/api/v1"
    with pytest.raises(ConfigError, match="workspace"):
        _ = load_settings({"DASHSCOPE_REGION": "frankfurt"}).base_url


def test_region_spellings() -> None:
    """Unknown regions are refused with the list of regions."""
    assert parse_region(None) == "beijing" and parse_region("us-east-1") == "virginia"
    with pytest.raises(ConfigError) as err:
        parse_region("mars")
    assert "beijing" in err.value.fix


def test_no_print_outside_the_cli() -> None:
    """stdout belongs to the MCP protocol: only the CLI writes to it."""
    for path in (ROOT / "src" / "wan_mcp").rglob("*.py"):
        if path.name.startswith("cli"):
            continue
        text = path.read_text()
        assert not re.search(r"^\s*print\(", text, re.M), path
        assert "sys.stdout" not in text, path


def test_server_json_matches_the_package() -> None:
    """server.json: registry schema, version = the package's, every WAN_MCP_/DASHSCOPE_ variable documented."""
    import json

    data = json.loads((ROOT / "server.json").read_text())
    assert data["$schema"].endswith("/2025-12-11/server.schema.json")
    assert data["version"] == wan_mcp.__version__ == data["packages"][0]["version"]
    assert len(data["description"]) <= 100 and data["name"].count("/") == 1
    variables = {v["name"]: v for v in data["packages"][0]["environmentVariables"]}
    assert variables["DASHSCOPE_API_KEY"]["isSecret"] and variables["WAN_MCP_HTTP_TOKEN"]["isSecret"]
    config_text = (ROOT / "src" / "wan_mcp" / "config.py").read_text()
    used = set(re.findall(r'"((?:DASHSCOPE|WAN_MCP)_[A-Z_]+)"', config_text))
    internal = {"DASHSCOPE_HTTP_BASE_URL", "DASHSCOPE_WORKSPACE_ID", "WAN_MCP_POLL_SPEED"}  # aliases; emulator-only
    assert used - internal == set(variables)
    readme = (ROOT / "README.md").read_text()
    assert f"<!-- mcp-name: {data['name']} -->" in readme
    for name in variables:
        assert name in readme, name
