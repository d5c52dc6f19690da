"""The published input schemas: lean JSON Schema (optional arguments as plain types, no titles, no `default: null`,
references inlined) with every closed set of values published as an `enum`, taken from the catalog. Inside a value,
where the tool takes null (reference_voices' items: "null for none"), null stays published, as one more type.

Only the published schema changes: the tools still take the values as the planner reads them (it refuses anything
else with a fix of its own), so narrowing a free string to an enum never loosens a check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from wan_mcp import catalog
from wan_mcp.states import TASK_STATUSES, JobState

# Closed sets the catalog does not hold yet (the planner checks them by these very values; tests/test_schemas.py
# proves each value is accepted and an outsider refused). They move to the catalog with the planner's rewrite.
MASK_TYPES = ("tracking", "fixed")
EXPAND_MODES = ("hull", "bbox", "original")
OBJ_OR_BG = ("obj", "bg")


def _ordered(values: Iterable[str]) -> list[str]:
    """Unique values in first-seen order."""
    return list(dict.fromkeys(values))


def _generation_models() -> list[catalog.Model]:
    return [m for m in catalog.MODELS if m.kind == "generation"]


def aspect_ratios() -> list[str]:
    """Every aspect ratio a model takes (size-style models through the size table)."""
    table = (ratio for by_ratio in catalog.SIZES_BY_TIER.values() for ratio in by_ratio)
    return _ordered([*table, *(r for m in _generation_models() for r in m.ratios)])


def vace_functions() -> list[str]:
    return _ordered(f for m in _generation_models() for spec in m.modes.values() for f in spec.functions or ())


def control_conditions() -> list[str]:
    return _ordered(
        c
        for m in _generation_models()
        for spec in m.modes.values()
        for function in (spec.functions or {}).values()
        for c in function.control_conditions
    )


def qualities() -> list[str]:
    """The quality tiers of quality-style models (their price table is keyed by them)."""
    return _ordered(
        q for m in _generation_models() if m.param_style == "quality" for p in m.price.values() for q in p.per_second
    )


def task_filters() -> list[str]:
    """What list_tasks filters by: a DashScope status, or a journal state that is not one in other case."""
    return [*TASK_STATUSES, *(s.value for s in JobState if s.value.upper() not in TASK_STATUSES)]


CLOSED_SETS: dict[str, Callable[[], list[str]]] = {
    "mode": lambda: list(catalog.MODES),
    "region": lambda: list(catalog.REGIONS),
    "resolution": lambda: list(catalog.TIERS),
    "aspect_ratio": aspect_ratios,
    "function": vace_functions,
    "control_condition": control_conditions,
    "quality": qualities,
    "mask_type": lambda: list(MASK_TYPES),
    "expand_mode": lambda: list(EXPAND_MODES),
    "obj_or_bg": lambda: list(OBJ_OR_BG),
    "status": task_filters,
}
"""Argument name → its values, for every tool that has an argument of that name (Literal-typed arguments such as
shot_type, audio_setting, method, audio_mode and trim publish their enum by themselves). `size` is left a string:
each size-style model takes its own few of the 13 sizes (list_modes with model names them), so a union would
invite sizes most models refuse, and resolution + aspect_ratio (both enums) is the way the descriptions teach."""


def lean_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A tool's input schema as published: closed sets as enums, each argument's own null dropped, then every node
    made lean."""
    defs = schema.get("$defs", {})
    properties = {name: _drop_null(_with_enum(name, prop)) for name, prop in schema.get("properties", {}).items()}
    lean: dict[str, Any] = _lean({**schema, "properties": properties}, defs)
    lean.pop("$defs", None)
    return lean


def _with_enum(name: str, prop: dict[str, Any]) -> dict[str, Any]:
    values = CLOSED_SETS.get(name)
    if values is None:
        return prop
    plain = _drop_null(prop)
    if plain.get("type") == "array":
        return {**plain, "items": {**plain.get("items", {}), "enum": values()}}
    return {**plain, "enum": values()}


def _drop_null(node: dict[str, Any]) -> dict[str, Any]:
    """`anyOf: [T, null]` → T (the argument is optional by not being required, never by accepting null)."""
    options = node.get("anyOf")
    if not isinstance(options, list):
        return node
    kept = [o for o in options if o != {"type": "null"}]
    if len(kept) == len(options):
        return node
    rest = {k: v for k, v in node.items() if k != "anyOf"}
    if rest.get("default", 0) is None:
        del rest["default"]
    return {**kept[0], **rest} if len(kept) == 1 else {**rest, "anyOf": kept}


def _null_as_type(node: dict[str, Any]) -> dict[str, Any]:
    """Inside a value, `anyOf: [T, null]` → T with "null" as one more type (the tool takes null there: an argument's
    own null is dropped, it is optional by not being required)."""
    options = node.get("anyOf")
    if not isinstance(options, list) or {"type": "null"} not in options:
        return node
    kept = [o for o in options if o != {"type": "null"}]
    if len(kept) != 1 or not isinstance(kept[0].get("type"), str):
        return node
    merged = {**kept[0], **{k: v for k, v in node.items() if k != "anyOf"}, "type": [kept[0]["type"], "null"]}
    return {**merged, "enum": [*merged["enum"], None]} if "enum" in merged else merged


def _lean(node: Any, defs: dict[str, Any]) -> Any:
    """Recursively: inline `$ref`, make `anyOf` with null one node of two types, drop `title` and `default: null`."""
    if isinstance(node, list):
        return [_lean(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = defs[ref.removeprefix("#/$defs/")]
        return _lean({**target, **{k: v for k, v in node.items() if k != "$ref"}}, defs)
    node = _null_as_type(node)
    lean: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" or (key == "default" and value is None):
            continue
        if key == "properties":
            lean[key] = {name: _lean(prop, defs) for name, prop in value.items()}
        else:
            lean[key] = _lean(value, defs)
    return lean
