"""Settings from arguments > environment > defaults; the only module that reads `os.environ`.

Nothing is read at import time: call `load_settings()` (with an explicit `env` mapping in tests).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import SecretStr

from wan_mcp.errors import ConfigError
from wan_mcp.regions import DEFAULT_REGION, REGIONS, RegionId, find_region


@dataclass(frozen=True)
class Tenant:
    """One user of a hosted wan-mcp: the SHA-256 of its bearer token, and optionally its own key and region."""

    name: str
    token_sha256: str
    api_key: SecretStr | None = None
    region: RegionId | None = None
    max_cost_per_job: float | None = None
    daily_budget: float | None = None


@dataclass(frozen=True)
class Settings:
    """Everything wan-mcp needs to know about its environment."""

    region: RegionId = DEFAULT_REGION
    api_key: SecretStr | None = None
    base_url_override: str | None = None
    workspace: str | None = None
    input_dir: Path | None = None
    data_dir: Path = field(default_factory=lambda: default_data_dir({}))
    output_dir: Path = field(default_factory=lambda: default_output_dir({}))
    http_token: SecretStr | None = None
    query_qps: float = 15.0
    poll_speed: float = 1.0  # > 1 only with the emulator run as many times faster (demo, tests)
    allowed_dirs_override: tuple[Path, ...] | None = None  # WAN_MCP_ALLOWED_DIRS
    log_level: str = "INFO"
    database_url: str | None = None  # WAN_MCP_DATABASE_URL: sqlite:///path or postgresql://…; None: SQLite in data_dir
    tenants: Mapping[str, Tenant] = field(default_factory=dict)  # WAN_MCP_TENANTS (hosted mode)
    public_url: str | None = None  # WAN_MCP_PUBLIC_URL: how remote agents reach this server (download links)
    download_url_ttl: float = 24 * 3600.0  # WAN_MCP_DOWNLOAD_URL_TTL seconds
    confirm: Literal["paid", "over", "off"] = "paid"  # WAN_MCP_CONFIRM: when a paid call asks the person
    confirm_over: float = 0.0  # with "over": ask only above this amount (the region's currency)
    max_cost_per_job: float | None = None  # WAN_MCP_MAX_COST_PER_JOB (the region's currency)
    daily_budget: float | None = None  # WAN_MCP_DAILY_BUDGET (the region's currency, per local calendar day)
    extra: Mapping[str, str] = field(default_factory=dict)

    def account_for(self, tenant: str) -> tuple[SecretStr | None, RegionId, str]:
        """The API key, region and base URL a tenant's jobs use ("" is the single user: the configured ones)."""
        found = self.tenants.get(tenant) if tenant else None
        if found is None or found.region in (None, self.region) or self.base_url_override:
            return (found.api_key if found and found.api_key else self.api_key), self.region, self.base_url
        region = REGIONS[found.region]
        if "{workspace}" in region.base_url and not self.workspace:
            raise ConfigError(f"tenant {tenant}: {region.title} needs DASHSCOPE_WORKSPACE", fix="set it")
        return found.api_key or self.api_key, found.region, region.base_url.format(workspace=self.workspace)

    @property
    def allowed_dirs(self) -> tuple[Path, ...]:
        """Folders local media may be read from: WAN_MCP_ALLOWED_DIRS, else home, the output and input folders."""
        if self.allowed_dirs_override is not None:
            return self.allowed_dirs_override
        folders = [Path(self.extra.get("HOME") or Path.home()), self.output_dir]
        if self.input_dir is not None:
            folders.append(self.input_dir)
        return tuple(folders)

    @property
    def journal_path(self) -> Path:
        return self.data_dir / "journal.sqlite3"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret value, for redaction."""
        keys = [self.api_key, self.http_token, *(t.api_key for t in self.tenants.values())]
        return tuple(s.get_secret_value() for s in keys if s is not None)

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


APP_NAME = "wan-mcp"


def default_data_dir(env: Mapping[str, str]) -> Path:
    """The platform's per-user data folder for wan-mcp (journal, caches), as platformdirs knows it: on Linux
    $XDG_DATA_HOME/wan-mcp (~/.local/share/wan-mcp), on macOS ~/Library/Application Support/wan-mcp, on Windows
    %LOCALAPPDATA%\\wan-mcp."""
    return _in_home(Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)), env)


def default_output_dir(env: Mapping[str, str]) -> Path:
    """Where videos go: a wan-mcp folder in the user's Videos folder when it exists, else in the home folder.

    The Videos folder is the platform's own, as platformdirs finds it: on Linux the XDG user directory (localized,
    e.g. ~/Vidéos, set in ~/.config/user-dirs.dirs), on macOS ~/Movies, on Windows the Videos known folder (also
    when it is redirected, e.g. to OneDrive).
    """
    videos = _in_home(Path(platformdirs.user_videos_dir()), env)
    if videos.is_dir():
        return videos / APP_NAME
    return Path(env.get("HOME") or Path.home()) / APP_NAME


def _in_home(path: Path, env: Mapping[str, str]) -> Path:
    """`path` (answered by platformdirs for this process's home) moved under the HOME that `env` names, if any."""
    home = env.get("HOME")
    if not home:
        return path
    try:
        return Path(home) / path.relative_to(Path.home())
    except ValueError:
        return path


def load_settings(env: Mapping[str, str] | None = None, *, region: str | None = None) -> Settings:
    """Settings from explicit arguments, then the environment (DASHSCOPE_*, WAN_MCP_*), then defaults."""
    env = _substituted(os.environ if env is None else env)

    def path(name: str) -> Path | None:
        value = env.get(name, "").strip()
        return Path(value).expanduser() if value else None

    key = env.get("DASHSCOPE_API_KEY", "").strip()
    token = env.get("WAN_MCP_HTTP_TOKEN", "").strip()
    base = (env.get("DASHSCOPE_BASE_URL") or env.get("DASHSCOPE_HTTP_BASE_URL") or "").strip()
    qps = env.get("WAN_MCP_QUERY_QPS", "").strip()
    try:
        query_qps = float(qps) if qps else 15.0
    except ValueError:
        raise ConfigError(f"WAN_MCP_QUERY_QPS={qps!r} is not a number", fix="set it to e.g. 15") from None
    speed = env.get("WAN_MCP_POLL_SPEED", "").strip()
    try:
        poll_speed = float(speed) if speed else 1.0
    except ValueError:
        raise ConfigError(f"WAN_MCP_POLL_SPEED={speed!r} is not a number", fix="leave it unset (1)") from None
    if poll_speed <= 0:
        raise ConfigError("WAN_MCP_POLL_SPEED must be positive", fix="leave it unset (1)")
    if not 0 < query_qps < 20:
        raise ConfigError(
            "WAN_MCP_QUERY_QPS must be above 0 and below 20",
            fix="DashScope allows 20 task queries per second per account; a limit of N lets N + 1 fit in one second, "
            "so use at most 19 (15 by default)",
        )
    allowed = env.get("WAN_MCP_ALLOWED_DIRS", "").strip()
    confirm, confirm_over = confirm_policy(env.get("WAN_MCP_CONFIRM", ""))
    allowed_dirs = tuple(Path(p).expanduser() for p in allowed.split(os.pathsep) if p.strip()) if allowed else None
    return Settings(
        region=parse_region(region if region is not None else env.get("DASHSCOPE_REGION")),
        allowed_dirs_override=allowed_dirs,
        extra={"HOME": env["HOME"]} if env.get("HOME") else {},
        api_key=SecretStr(key) if key else None,
        base_url_override=base or None,
        workspace=(env.get("DASHSCOPE_WORKSPACE") or env.get("DASHSCOPE_WORKSPACE_ID") or "").strip() or None,
        input_dir=path("WAN_MCP_INPUT_DIR"),
        data_dir=path("WAN_MCP_DATA_DIR") or default_data_dir(env),
        output_dir=path("WAN_MCP_OUTPUT_DIR") or default_output_dir(env),
        http_token=SecretStr(token) if token else None,
        query_qps=query_qps,
        poll_speed=poll_speed,
        log_level=(env.get("WAN_MCP_LOG_LEVEL") or "INFO").strip().upper(),
        database_url=env.get("WAN_MCP_DATABASE_URL", "").strip() or None,
        tenants=load_tenants(path("WAN_MCP_TENANTS"), env),
        public_url=env.get("WAN_MCP_PUBLIC_URL", "").strip().rstrip("/") or None,
        download_url_ttl=_seconds(env, "WAN_MCP_DOWNLOAD_URL_TTL", 24 * 3600.0),
        confirm=confirm,
        confirm_over=confirm_over,
        max_cost_per_job=_amount(env.get("WAN_MCP_MAX_COST_PER_JOB", "").strip() or None, "WAN_MCP_MAX_COST_PER_JOB"),
        daily_budget=_amount(env.get("WAN_MCP_DAILY_BUDGET", "").strip() or None, "WAN_MCP_DAILY_BUDGET"),
    )


def confirm_policy(value: str) -> tuple[Literal["paid", "over", "off"], float]:
    """WAN_MCP_CONFIRM: `paid` (ask for every paid call; the default), `over:<amount>` (only above it), `off`."""
    text = value.strip().lower()
    if text in ("", "paid"):
        return "paid", 0.0
    if text == "off":
        return "off", 0.0
    if text.startswith("over:"):
        return "over", _amount(text.removeprefix("over:"), "WAN_MCP_CONFIRM (over:<amount>)") or 0.0
    raise ConfigError(
        f"WAN_MCP_CONFIRM={value!r} is not paid, over:<amount> or off",
        fix="use paid (ask before every paid call), over:5 (ask above 5 in the region's currency) or off",
        code="invalid_confirm",
    )


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name, "").strip()
    try:
        seconds = float(value) if value else default
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a number of seconds", fix=f"set it to e.g. {default:g}") from None
    if seconds <= 0:
        raise ConfigError(f"{name} must be positive", fix=f"set it to e.g. {default:g}")
    return seconds


def load_tenants(path: Path | None, env: Mapping[str, str]) -> dict[str, Tenant]:
    """The tenants of WAN_MCP_TENANTS, a TOML file of `[tenants.NAME]` tables (no file: no tenants).

    Each has `token_sha256` (the SHA-256 hex of its bearer token, so the file grants nothing by itself), and
    optionally `dashscope_api_key` or `dashscope_api_key_env` (the name of a variable holding it), `region`,
    `max_cost_per_job` and `daily_budget`.
    """
    if path is None:
        return {}
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"WAN_MCP_TENANTS: cannot read {path}: {exc}", fix="point it at a readable TOML file"
        ) from None
    tenants: dict[str, Tenant] = {}
    for name, entry in (data.get("tenants") or {}).items():
        digest = str(entry.get("token_sha256", "")).strip().lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ConfigError(
                f"WAN_MCP_TENANTS: tenant {name!r} has no valid token_sha256",
                fix="set token_sha256 to the hex SHA-256 of its token (e.g. `printf %s TOKEN | sha256sum`)",
            )
        key = entry.get("dashscope_api_key") or env.get(str(entry.get("dashscope_api_key_env", "")), "")
        tenants[name] = Tenant(
            name=name,
            token_sha256=digest,
            api_key=SecretStr(str(key)) if key else None,
            region=parse_region(entry["region"]) if entry.get("region") else None,
            max_cost_per_job=_amount(entry.get("max_cost_per_job"), f"WAN_MCP_TENANTS: {name}.max_cost_per_job"),
            daily_budget=_amount(entry.get("daily_budget"), f"WAN_MCP_TENANTS: {name}.daily_budget"),
        )
    return tenants


def _amount(value: object, name: str) -> float | None:
    """An amount of money (≥ 0, in the region's currency), or None when not set."""
    if value is None:
        return None
    try:
        amount = float(str(value).strip())
    except ValueError:
        amount = -1.0
    if not amount >= 0 or amount == float("inf"):
        raise ConfigError(f"{name}={value!r} is not an amount", fix="give a number ≥ 0, e.g. 5 or 12.50")
    return amount


def _substituted(env: Mapping[str, str]) -> dict[str, str]:
    """`env` without placeholders a host failed to fill in: Claude Desktop passes an MCPB bundle's optional setting
    left blank as the literal text `${user_config.NAME}`; such a value means "not set"."""
    return {name: value for name, value in env.items() if not _PLACEHOLDER.fullmatch(value.strip())}


_PLACEHOLDER = re.compile(r"\$\{[A-Za-z_][\w.]*\}")


class SecretRedactor(logging.Filter):
    """Replaces every secret value in log records with ***."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + "".join(traceback.format_exception(*record.exc_info))
            record.exc_info, record.exc_text = None, None
        record.msg, record.args = redact(message, self.secrets), None
        return True


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with every secret replaced by ***."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
