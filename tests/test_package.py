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
