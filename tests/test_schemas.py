"""The published tool surface: the tools/list budget, lean input schemas, and every closed set an enum from the
catalog (the hand-listed ones proven against the planner)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from mcp import Client

from wan_mcp import catalog, extras
from wan_mcp.errors import RequestInvalid
from wan_mcp.requests import plan_request
from wan_mcp.server import build_server
from wan_mcp.server.schemas import CLOSED_SETS, EXPAND_MODES, MASK_TYPES, OBJ_OR_BG

pytestmark = pytest.mark.anyio

BUDGET = 15_000  # bytes of tools/list, compact JSON, for every tool (../shared/hooks/before-stop measures the same)
CLOSED = {*CLOSED_SETS, "shot_type", "audio_setting", "method", "audio_mode", "trim"}


async def listed_tools() -> list[dict[str, Any]]:
    async with Client(build_server()) as client:
        tools = (await client.list_tools()).tools
    return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]


def wire_bytes(tools: list[dict[str, Any]]) -> int:
    return len(json.dumps(tools, separators=(",", ":"), ensure_ascii=False).encode())


def nodes(schema: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema node (not the property-name maps) with its path."""
    if isinstance(schema, list):
        for index, item in enumerate(schema):
            yield from nodes(item, f"{path}[{index}]")
    elif isinstance(schema, dict):
        yield path, schema
        for key, value in schema.items():
            if key == "properties":
                for name, prop in value.items():
                    yield from nodes(prop, f"{path}.{name}")
            elif isinstance(value, dict | list):
                yield from nodes(value, f"{path}/{key}")


@pytest.mark.parametrize("with_media", [True, False])
async def test_tools_list_fits_the_budget(with_media: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """tools/list is at most 15,000 bytes of compact JSON, with the media extra and without it (then four tools
    say how to install it)."""
    monkeypatch.setattr(extras, "media_installed", lambda: with_media)
    tools = await listed_tools()
    assert len(tools) == 9
    assert wire_bytes(tools) <= BUDGET, {t["name"]: wire_bytes([t]) for t in tools}
    needing = [t["name"] for t in tools if "pip install 'wan-mcp[media]'" in t["description"]]
    assert len(needing) == (0 if with_media else 4), needing


async def test_schemas_are_lean() -> None:
    """No anyOf with null, no title, no default null, no $ref or $defs, no output schema, in any tool (a null the tool
    takes inside a value is one more type: reference_voices' items are `["string", "null"]`)."""
    for tool in await listed_tools():
        assert "outputSchema" not in tool, tool["name"]
        for path, node in nodes(tool["inputSchema"]):
            where = f"{tool['name']}{path}"
            assert "title" not in node, where
            assert not ("default" in node and node["default"] is None), where
            assert {"$ref", "$defs"}.isdisjoint(node), where
            assert {"type": "null"} not in node.get("anyOf", []), where
            assert node.get("type") != "null", where


async def test_every_closed_set_is_an_enum_from_the_catalog() -> None:
    """Each argument whose values are a closed set publishes them as an enum, the same set in every tool, taken
    from the catalog (regions, modes, tiers, every model's aspect ratios, VACE functions and conditions…)."""
    seen: set[str] = set()
    for tool in await listed_tools():
        for name, prop in tool["inputSchema"]["properties"].items():
            if name not in CLOSED:
                assert "enum" not in prop and "enum" not in prop.get("items", {}), (tool["name"], name)
                continue
            seen.add(name)
            values = prop["items"]["enum"] if prop.get("type") == "array" else prop["enum"]
            if name in CLOSED_SETS:
                assert values == CLOSED_SETS[name](), (tool["name"], name)
    assert seen == CLOSED
    assert CLOSED_SETS["region"]() == list(catalog.REGIONS) and CLOSED_SETS["resolution"]() == list(catalog.TIERS)
    ratios = set(CLOSED_SETS["aspect_ratio"]())
    assert all(set(m.ratios) <= ratios for m in catalog.MODELS)
    functions = {f for m in catalog.MODELS for spec in m.modes.values() for f in spec.functions or ()}
    assert set(CLOSED_SETS["function"]()) == functions == set(catalog.VACE_FUNCTIONS)


VIDEO_EDIT = {
    "mode": "vace",
    "function": "video_edit",
    "prompt": "a red scarf",
    "video": "https://example.com/in.mp4",
    "mask_image": "https://example.com/mask.png",
}
REFERENCES = {
    "mode": "vace",
    "function": "image_reference",
    "prompt": "a fox and a forest",
    "ref_images": ["https://example.com/fox.png", "https://example.com/forest.png"],
}
ANIMATE = {"mode": "animate", "image": "https://example.com/me.png", "video": "https://example.com/dance.mp4"}


def refused_fields(arguments: dict[str, Any]) -> set[str]:
    try:
        plan_request(arguments)
    except RequestInvalid as refused:
        return {p.field for p in refused.problems}
    return set()


@pytest.mark.parametrize(
    ("field", "values", "base", "shape"),
    [
        ("mask_type", MASK_TYPES, VIDEO_EDIT, str),
        ("expand_mode", EXPAND_MODES, VIDEO_EDIT, str),
        ("obj_or_bg", OBJ_OR_BG, REFERENCES, list),
        ("quality", tuple(CLOSED_SETS["quality"]()), ANIMATE, str),
    ],
)
def test_enums_match_what_the_planner_takes(
    field: str, values: tuple[str, ...], base: dict[str, Any], shape: type
) -> None:
    """Every value an enum publishes is one the planner accepts, and a value outside it is refused on that field
    (the sets the catalog does not hold yet are listed by hand: this keeps them honest)."""

    def given(value: str) -> Any:
        return [value, "obj"] if shape is list else value

    for value in values:
        assert field not in refused_fields({**base, field: given(value)}), value
    assert field in refused_fields({**base, field: given("sideways")})
