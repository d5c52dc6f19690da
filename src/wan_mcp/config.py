"""Settings from arguments > environment > defaults; the only module that reads `os.environ`.

Nothing is read at import time: call `load_settings()` (with an explicit `env` mapping in tests).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from wan_mcp.catalog import DEFAULT_REGION, REGIONS, RegionId, find_region
from wan_mcp.errors import ConfigError


@dataclass(frozen=True)
class Settings:
    """Everything wan-mcp needs to know about its environment."""

    region: RegionId = DEFAULT_REGION
    api_key: SecretStr | None = None
    base_url_override: str | None = None
    workspace: str | None = None
    input_dir: Path | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        """The API base URL (ending in /api/v1): DASHSCOPE_BASE_URL, else the region's."""
        if self.base_url_override:
            return self.base_url_override.rstrip("/")
        template = REGIONS[self.region].base_url
        if "{workspace}" in template:
            if not self.workspace:
                raise ConfigError(
                    f"{REGIONS[self.region].title} is reached through a workspace domain",
                    fix="set DASHSCOPE_WORKSPACE to your workspace id, or DASHSCOPE_BASE_URL to the full URL",
                )
            return template.format(workspace=self.workspace)
        return template


def parse_region(value: str | None) -> RegionId:
    """A region id from a user's spelling (`beijing`, `cn-beijing`, `intl`, …); ConfigError if unknown."""
    if value is None or not value.strip():
        return DEFAULT_REGION
    region = find_region(value)
    if region is None:
        raise ConfigError(
            f"unknown region {value!r}",
            fix=f"use one of {', '.join(REGIONS)}",
            code="invalid_region",
        )
    return region.id


def load_settings(env: Mapping[str, str] | None = None, *, region: str | None = None) -> Settings:
    """Settings from explicit arguments, then the environment (DASHSCOPE_*, WAN_MCP_*), then defaults."""
    env = os.environ if env is None else env
    key = env.get("DASHSCOPE_API_KEY", "").strip()
    base = (env.get("DASHSCOPE_BASE_URL") or env.get("DASHSCOPE_HTTP_BASE_URL") or "").strip()
    input_dir = env.get("WAN_MCP_INPUT_DIR", "").strip()
    return Settings(
        region=parse_region(region if region is not None else env.get("DASHSCOPE_REGION")),
        api_key=SecretStr(key) if key else None,
        base_url_override=base or None,
        workspace=(env.get("DASHSCOPE_WORKSPACE") or env.get("DASHSCOPE_WORKSPACE_ID") or "").strip() or None,
        input_dir=Path(input_dir).expanduser() if input_dir else None,
    )
