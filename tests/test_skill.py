"""No drift: every fact in the wan-video skill is checked against the catalog and the server; MCP serves it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client

from conftest import TOOLS, LiveEmulator
from wan_mcp import catalog, skill
from wan_mcp.config import load_settings
from wan_mcp.errors import ERROR_CODES
from wan_mcp.requests import VideoRequest
from wan_mcp.server import build_server
from wan_mcp.views import TaskView

FILES = skill.skill_files()
TEXT = {path.name: path.read_text(encoding="utf-8") for path in FILES}
STATES = {
    "submitting",
    "submitted",
    "unconfirmed",
    "rejected",
    "downloading",
    "delivered",
    "failed",
    "canceled",
    "unknown",
    "expired",
}
STATUSES = {"PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN"}
OWN_CODES = {"NotCreated", "ResultExpired", "TaskUnknown"}


def tool_arguments() -> set[str]:
    """Every argument of every tool, from the server's own input schemas."""
    import anyio

    server = build_server(load_settings({}))
    tools = anyio.run(server.list_tools)
    return {name for tool in tools for name in tool.input_schema.get("properties", {})} | {
        name for tool in tools for name in tool.input_schema.get("$defs", {}).get("Shot", {}).get("properties", {})
    }


def known_names() -> set[str]:
    names = set(TOOLS) | set(VideoRequest.model_fields) | tool_arguments()
    names |= set(catalog.MODES) | set(catalog.VACE_FUNCTIONS) | set(TaskView.model_fields)
    names |= STATES | {"single", "multi", "std", "pro", "auto", "origin", "obj", "bg", "true", "false"}
    for spec in catalog.VACE_FUNCTIONS.values():
        names |= {c for c in spec.control_conditions if c}
    names |= {"tracking", "fixed", "hull", "bbox", "original"}
    return names


ALIASES = {alias for model in catalog.MODELS for alias in model.aliases}
FAMILIES = {model.family for model in catalog.MODELS}
MODEL_ID = re.compile(r"(?<![\w.])(wanx?\d\.\d(?:-[a-z0-9.*]+)*)")


def test_generated_sections_are_current() -> None:
    """The catalog tables in the skill are exactly what the catalog renders today."""
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        assert skill.render(text) == text, f"{path.name} is stale: run `python -m wan_mcp.skill`"
    assert "<!-- BEGIN generated: decisions -->" in TEXT["SKILL.md"]


def test_frontmatter_and_size() -> None:
    """name = folder name, a description of at most 1,024 characters, a body under 500 lines."""
    text = TEXT["SKILL.md"]
    front = text.split("---")[1]
    name = re.search(r"^name:\s*(\S+)", front, re.M)
    description = re.search(r"^description:\s*(.+)$", front, re.M)
    assert name and name.group(1) == skill.skill_dir().name == "wan-video"
    assert description and 0 < len(description.group(1)) <= 1024
    for word in ("video", "animate", "clip", "image to video", "transition"):
        assert word in description.group(1)
    assert len(text.splitlines()) < 500


@pytest.mark.skipif(sys.version_info < (3, 11), reason="skills-ref (the official validator) needs Python 3.11+")
def test_agentskills_validate() -> None:
    """The official validator (PyPI skills-ref) accepts the skill."""
    command = Path(sys.executable).parent / "agentskills"
    result = subprocess.run(
        [str(command), "validate", str(skill.skill_dir())], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", sorted(TEXT))
def test_every_backticked_name_exists(name: str) -> None:
    """Each `identifier`, `argument: value`, model id or error code in backticks is one the code has."""
    known = known_names()
    for span in re.findall(r"`([^`\n]+)`", TEXT[name]):
        head = span.split(":")[0].strip()
        if span.startswith(("wan://", "oss://", "data:", "http", "-")) or head.startswith(("wan://", "oss")):
            continue
        if MODEL_ID.fullmatch(span):
            assert span in ALIASES, f"{name}: unknown model `{span}`"
        elif re.fullmatch(r"[a-z_][a-z0-9_]*", head):
            assert head in known, f"{name}: unknown name `{span}`"
        elif re.fullmatch(r"[A-Z][A-Za-z]+(?:\.[A-Za-z]+)*", span):
            assert span in ERROR_CODES or span in OWN_CODES or span in STATUSES, f"{name}: unknown code `{span}`"


@pytest.mark.parametrize("name", sorted(TEXT))
def test_every_model_id_exists(name: str) -> None:
    """Every model id in the text is in the catalog (a family like wan2.6, or wan2.1-* patterns, too)."""
    for found in MODEL_ID.findall(TEXT[name]):
        token = found.rstrip(".")
        if token in ALIASES or token in FAMILIES or any(alias.startswith(token + "-") for alias in ALIASES):
            continue  # a model, or a version family named as in some region (wan2.1 for wanx2.1)
        if token.endswith("*"):
            prefix = token.rstrip("*")
            assert any(alias.startswith(prefix) for alias in ALIASES), f"{name}: {token}"
            continue
        assert token in ALIASES, f"{name}: unknown model {token}"


def allowed_limits() -> tuple[set[int], set[float], set[tuple[int, int]]]:
    chars = {m.prompt_max for m in catalog.MODELS if m.prompt_max} | {
        m.negative_prompt_max for m in catalog.MODELS if m.negative_prompt_max
    }
    megabytes: set[float] = set()
    ranges: set[tuple[int, int]] = set()
    for model in catalog.MODELS:
        for limits in (model.image, model.video, model.audio_input):
            if limits is not None:
                megabytes |= {limits.max_mb, *([limits.caution_max_mb] if limits.caution_max_mb else [])}
                if limits.min_seconds is not None and limits.max_seconds is not None:
                    ranges.add((int(limits.min_seconds), int(limits.max_seconds)))
        for spec in [model.durations, *(o.durations for o in model.regions.values())]:
            if spec is not None:
                ranges.add((spec.min, spec.max))
    ranges |= {(1, 5), (5, 10), (1, 10)}  # typical waits in minutes (catalog typical_seconds, the seed)
    return {int(c) for c in chars}, megabytes, ranges


@pytest.mark.parametrize("name", sorted(TEXT))
def test_stated_limits_match_the_catalog(name: str) -> None:
    """Character limits, MB limits and second ranges stated in prose are values the catalog holds."""
    chars, megabytes, ranges = allowed_limits()
    text = TEXT[name]
    for number in re.findall(r"(\d[\d,]*) characters", text):
        assert int(number.replace(",", "")) in chars, f"{name}: {number} characters"
    for number in re.findall(r"(\d+(?:\.\d+)?) MB", text):
        assert float(number) in megabytes, f"{name}: {number} MB"
    for low, high in re.findall(r"(\d+)[–-](\d+) (?:s|seconds|minutes|min)\b", text):
        assert (int(low), int(high)) in ranges, f"{name}: {low}–{high}"


def test_stated_facts_match_the_catalog() -> None:
    """The prose facts the skill leans on are true of the catalog."""
    text = "\n".join(TEXT.values())
    kf2v, vace = catalog.find_model("wan2.2-kf2v-flash"), catalog.find_model("wanx2.1-vace-plus")
    assert kf2v is not None and kf2v.audio == "silent" and kf2v.durations is not None and kf2v.durations.fixed
    assert vace is not None and vace.audio == "silent" and catalog.VACE_CLIP_MAX_SECONDS == 3
    r2v = catalog.find_model("wan2.6-r2v-flash")
    assert r2v is not None and (r2v.max_references, r2v.max_reference_videos) == (5, 3)
    assert all(m.shot_type == (m.family == "wan2.6" and m.id != "wan2.6-s2v") for m in catalog.MODELS if m.shot_type)
    assert "at most 5, of which at most 3 videos" in text or "≤ 5" in text or "at most 5" in text
    for mode in catalog.MODES:
        assert f"`{mode}`" in text


def test_skill_install(tmp_path: Path) -> None:
    """`wan-mcp skill install --dest DIR` copies SKILL.md and the references."""
    result = subprocess.run(
        [sys.executable, "-m", "wan_mcp", "skill", "install", "--dest", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    installed = tmp_path / "wan-video"
    assert (installed / "SKILL.md").read_text() == TEXT["SKILL.md"]
    assert {p.name for p in (installed / "references").iterdir()} == {p.name for p in FILES[1:]}


@pytest.mark.anyio
async def test_served_through_mcp(emulator: LiveEmulator, tmp_path: Path) -> None:
    """A client that never loads skills reads the same guidance through resources/read and prompts/get."""
    env = {"DASHSCOPE_BASE_URL": emulator.base_url, "WAN_MCP_DATA_DIR": str(tmp_path), "HOME": str(tmp_path)}
    async with Client(build_server(load_settings(env))) as client:
        body = (await client.read_resource("wan://skill")).contents[0]
        assert body.text == TEXT["SKILL.md"]  # type: ignore[union-attr]
        recipes = (await client.read_resource("wan://skill/recipes")).contents[0]
        assert recipes.text == TEXT["recipes.md"]  # type: ignore[union-attr]
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
        assert set(prompts) >= {"choose_mode", "plan_long_video", "write_video_prompt"}
        assert all(p.description for p in prompts.values())
        chosen = await client.get_prompt("choose_mode", {"goal": "animate my cat photo"})
        text = chosen.messages[0].content.text  # type: ignore[union-attr]
        assert "animate my cat photo" in text and "wan2.6-i2v-flash" in text and "dry_run" in text
        plan = await client.get_prompt("plan_long_video", {"description": "a day at sea", "total_seconds": "40"})
        assert "40 s" in plan.messages[0].content.text  # type: ignore[union-attr]
