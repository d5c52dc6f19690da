"""Strict tool arguments, the pure part: every tool's published input schema closed (no unknown names, in nested
objects too), a call's raw arguments checked against that same schema with strict JSON types, and each problem said
once in wan-mcp's format (`code (field): message Fix: fix`), naming the nearest real name for a misspelt one.

The SDK's own argument check is a pydantic model that drops unknown names, coerces `"yes"` and `1` into booleans and
`"5"` into numbers, and answers with pydantic's text; `strict.StrictArguments` runs this check before it. Refused:
- a name the schema does not publish, a missing required argument,
- a value of the wrong JSON type (no coercion), outside its enum or range, NaN or infinity,
- control characters, NULs and lone surrogates in any text (tab, newline and carriage return are text).
A `null` for an optional argument (one the schema does not require) whose schema takes no null is read as not given:
many agents and clients fill every optional argument with null, and the published schemas leave null out to stay
lean. It is dropped before the check and before the tool runs, so the call is the one without it. A null for a
required argument is refused as missing; a null inside a value (an item, a nested object's field) is checked like any
other value (only the top level of a tool's arguments is a list of things that may be left out).
An array or object sent as JSON text where the schema wants an array or object (and no string) is decoded first, as
the SDK does next (some clients send lists that way); what is decoded is then checked as strictly as the rest.
Closing a schema adds `additionalProperties: false` to every object schema that lists `properties` and says nothing
about other names; objects composed with `allOf` are not supported (pydantic emits none).
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import functools
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wan_mcp.errors import Problem

if TYPE_CHECKING:  # jsonschema is imported with the first check, not when the server starts
    from jsonschema.exceptions import ValidationError as SchemaError
    from jsonschema.protocols import Validator

REFUSED = "Refused before anything was sent or paid:"
MAX_PROBLEM_LINES = 10
ECHO_CHARS = 40
# C0 and C1 controls except tab, newline and carriage return, and lone UTF-16 surrogates (not text at all).
FORBIDDEN_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
PYDANTIC_REPORT = re.compile(r"\d+ validation errors? for ")
RANGE_RULES = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")


def close_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `schema` in which every object schema with `properties` refuses names it does not list."""
    closed = copy.deepcopy(dict(schema))
    _close(closed)
    return closed


def _close(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _close(item)
    if not isinstance(node, dict):
        return
    open_ended = ("additionalProperties", "patternProperties", "unevaluatedProperties")
    if isinstance(node.get("properties"), dict) and not any(key in node for key in open_ended):
        node["additionalProperties"] = False
    for key in ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas"):
        if isinstance(node.get(key), dict):
            _close(list(node[key].values()))
    for key in ("anyOf", "oneOf", "allOf", "prefixItems", "items", "additionalProperties", "not", "if", "then", "else"):
        _close(node.get(key))


@dataclass(frozen=True)
class ToolSchema:
    """One tool's closed input schema, as published, and the strict check of arguments against it."""

    name: str
    schema: dict[str, Any]

    @classmethod
    def of(cls, name: str, input_schema: Mapping[str, Any]) -> ToolSchema:
        return cls(name, close_schema(input_schema))

    @functools.cached_property
    def validator(self) -> Validator:
        """The strict check of this schema, compiled with the first call that needs it (listing tools does not)."""
        from jsonschema import Draft202012Validator, validators  # noqa: PLC0415

        checker: Validator = validators.validator_for(self.schema, default=Draft202012Validator)(self.schema)
        return checker

    def problems(self, arguments: Any) -> list[Problem]:
        """Everything wrong with `arguments`, each problem once, in the order the caller gave the names (empty when
        they may be passed on)."""
        if not isinstance(arguments, dict):
            message = f"given {describe_value(arguments)}; accepted an object."
            return [Problem("arguments", "invalid_type", message, "send the arguments as {name: value}.")]
        arguments = self.decoded(self.without_optional_nulls(arguments))
        missing = self._required_nulls(arguments)
        checked = {name: value for name, value in arguments.items() if name not in missing}
        try:
            found = [self._null_for_required(name) for name in missing]
            found += [p for error in self.validator.iter_errors(checked) for p in self._explain(error)]
            found += forbidden_values(checked)
        except RecursionError:
            return [Problem("arguments", "too_deep", "the arguments are nested too deeply to read.", "flatten them.")]
        order = {echo(key): index for index, key in enumerate(arguments)}
        found.sort(key=lambda p: order.get(re.split(r"[.\[]", p.field, maxsplit=1)[0], len(order)))
        return unique(found)

    def without_optional_nulls(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """The arguments without each explicit null for an optional argument whose schema takes no null: such a
        null means "not given" (the call is the one without it). Required and unknown names keep theirs, to be
        refused; nulls inside values are left to the check."""
        return {name: value for name, value in arguments.items() if not self._null_means_absent(name, value)}

    def _null_means_absent(self, name: str, value: Any) -> bool:
        properties, required = self.schema.get("properties", {}), self.schema.get("required", [])
        return value is None and name in properties and name not in required and not self._takes_null(name)

    def _takes_null(self, name: str) -> bool:
        """Whether the argument `name`'s own schema accepts null (then a null is a value the tool asked for)."""
        about = self.argument_schema(name)
        if not isinstance(about, dict):
            return about is not False  # no schema or `true` takes anything, `false` nothing
        return _accepts(about, "null") or None in about.get("enum", ()) or ("const" in about and about["const"] is None)

    def _required_nulls(self, arguments: dict[str, Any]) -> list[str]:
        """The required arguments given as null where their schema takes no null."""
        nulls = [name for name, value in arguments.items() if value is None and not self._takes_null(name)]
        return [name for name in nulls if name in self.schema.get("required", [])]

    def _null_for_required(self, name: str) -> Problem:
        """A null for the required argument `name` counts as not given: the argument is missing."""
        message = f"given null, which counts as not given; required: {self.describe(self.argument_schema(name))}."
        return Problem(echo(name), "missing_argument", message, f"give {echo(name)}.")

    def argument_schema(self, name: str) -> Any:
        """The published schema of the argument `name` (a `$ref` resolved; None when there is no such argument)."""
        about = self.schema.get("properties", {}).get(name)
        if isinstance(about, dict) and isinstance(about.get("$ref"), str):
            about = _resolve(self.schema, about["$ref"])
        return about

    def decoded(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """The arguments with an array or object sent as JSON text (some clients do) decoded where the schema wants
        an array or object and no string: the SDK decodes those next, and the decoded value is what is checked."""
        decoded = dict(arguments)
        for name, value in arguments.items():
            about = self.argument_schema(name)
            if not isinstance(value, str) or not isinstance(about, dict) or _accepts(about, "string"):
                continue
            with contextlib.suppress(ValueError, RecursionError):
                parsed = json.loads(value)
                if isinstance(parsed, list | dict) and _accepts(about, json_type(parsed)):
                    decoded[name] = parsed
        return decoded

    def describe(self, schema: Any) -> str:
        """What `schema` accepts, in words ("an integer from 0 to 50", '"t2v" or "i2v" or null')."""
        return describe_schema(schema, self.schema)

    def _explain(self, error: SchemaError) -> Iterator[Problem]:
        field, instance, rule = field_name(error.absolute_path), error.instance, error.validator
        schema: Mapping[str, Any] = error.schema if isinstance(error.schema, dict) else {}
        given = f"given {describe_value(instance)}; accepted {self.describe(schema)}."
        if rule == "additionalProperties" and isinstance(instance, dict):
            known = list(schema.get("properties", {}))
            for key in instance:
                if key not in known and not any(re.search(p, key) for p in schema.get("patternProperties", {})):
                    yield unknown_name(self.name if field == "arguments" else field, field, key, known)
        elif rule == "required" and isinstance(instance, dict):
            for name in schema.get("required", []):
                if name not in instance:
                    accepted = self.describe(schema.get("properties", {}).get(name))
                    yield Problem(join(field, name), "missing_argument", f"required: {accepted}.", f"give {name}.")
        elif rule in ("anyOf", "oneOf") and error.context:
            yield from self._explain_alternatives(error, field, given)
        elif rule == "type":
            yield Problem(field, "invalid_type", given, type_fix(instance, schema))
        elif rule in ("enum", "const"):
            yield Problem(field, "invalid_value", given, choice_fix(instance, schema))
        elif rule in RANGE_RULES:
            yield Problem(field, "out_of_range", given, f"give {self.describe(schema)}.")
        else:
            rule_text = f"{rule} {json.dumps(schema.get(str(rule)), default=str)[:ECHO_CHARS]}"
            yield Problem(field, "invalid_value", given, f"give {self.describe(schema)} ({rule_text}).")

    def _explain_alternatives(self, error: SchemaError, field: str, given: str) -> Iterator[Problem]:
        """anyOf/oneOf: the problems inside the first alternative of the value's own type say the most (a list
        with a bad item, a string outside an enum); when no alternative has that type, the type is the problem."""
        by_branch: dict[Any, list[SchemaError]] = defaultdict(list)
        for sub in error.context or ():
            by_branch[sub.relative_schema_path[0]].append(sub)
        for subs in by_branch.values():
            if not any(s.validator == "type" and not s.relative_path for s in subs):
                for sub in subs:
                    yield from self._explain(sub)
                return
        schema = error.schema if isinstance(error.schema, dict) else {}
        yield Problem(field, "invalid_type", given, type_fix(error.instance, schema))


def describe_schema(schema: Any, root: Mapping[str, Any], depth: int = 0) -> str:
    """What `schema` accepts, in words; `$ref`s are looked up in `root`."""
    if not isinstance(schema, dict) or depth > 4:
        return "a value"
    if isinstance(schema.get("$ref"), str):
        return describe_schema(_resolve(root, schema["$ref"]), root, depth + 1)
    if "enum" in schema or "const" in schema:
        values = [json.dumps(v, ensure_ascii=False) for v in schema.get("enum", [schema.get("const")])]
        return " or ".join(values[:12]) + (" or …" if len(values) > 12 else "")
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            return " or ".join(dict.fromkeys(describe_schema(b, root, depth + 1) for b in schema[key]))
    kinds = schema.get("type")
    words = []
    for kind in kinds if isinstance(kinds, list) else [kinds] if isinstance(kinds, str) else []:
        if kind in ("integer", "number"):
            words.append(("an integer" if kind == "integer" else "a number") + _range(schema))
        elif kind == "array":
            words.append(f"an array ({describe_schema(schema.get('items'), root, depth + 1)} each)")
        elif kind == "object":
            words.append(f"an object {{{', '.join(schema.get('properties', {}))}}}")
        else:
            words.append({"string": "a string", "boolean": "true or false", "null": "null"}.get(kind, str(kind)))
    return " or ".join(words) if words else "a value"


def _resolve(root: Mapping[str, Any], ref: str) -> Any:
    """A local `#/…` reference within `root` (None for anything else)."""
    node: Any = root if ref.startswith("#") else None
    for part in ref.lstrip("#/").split("/") if node is not None else ():
        node = node.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(node, dict) else None
    return node


def _range(schema: Mapping[str, Any]) -> str:
    low, high, above = schema.get("minimum"), schema.get("maximum"), schema.get("exclusiveMinimum")
    if low is not None and high is not None:
        return f" from {low} to {high}"
    if low is not None or high is not None:
        return f" of at least {low}" if low is not None else f" of at most {high}"
    return f" above {above}" if above is not None else ""


def unknown_name(where: str, field: str, key: str, known: Sequence[str]) -> Problem:
    """An unknown argument, with the nearest real names when there are some."""
    nearest = nearest_names(key, known)
    if nearest:
        fix = f"did you mean {' or '.join(f'`{name}`' for name in nearest)}?"
    elif len(known) <= 12:
        fix = f"use only {', '.join(known)}." if known else "give no arguments."
    else:
        fix = f"use only the {len(known)} arguments this tool publishes (tools/list)."
    message = f"`{echo(key)}` is not an argument of {where}; nothing was done with it."
    return Problem(join(field, key), "unknown_argument", message, fix)


def nearest_names(key: str, known: Sequence[str]) -> list[str]:
    """The real names an unknown one most likely meant: the same words spelt otherwise (`dryRun`, `dry-run`,
    `Duration`), names with it as one of their words (`ratio`: `aspect_ratio`, `expand_ratio`), else the closest."""
    normal = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key.strip()).lower().replace("-", "_").replace(" ", "_")
    if normal in known:
        return [normal]
    partial = [name for name in known if normal and normal in name.split("_")]
    return partial[:3] or difflib.get_close_matches(normal, list(known), n=1, cutoff=0.6)


def type_fix(instance: Any, schema: Mapping[str, Any]) -> str:
    """How to send the value with its proper JSON type (a quoted number or boolean gets its unquoted form)."""
    if isinstance(instance, str):
        with contextlib.suppress(ValueError, RecursionError):
            parsed = json.loads(instance)
            kind = json_type(parsed)
            if kind != "string" and (_accepts(schema, kind) or (kind == "integer" and _accepts(schema, "number"))):
                shown = json.dumps(parsed, ensure_ascii=False)
                shown = shown if len(shown) <= ECHO_CHARS else shown[:ECHO_CHARS] + "…"
                return f"send {shown} without quotes: a JSON {kind}, not a string."
    if instance is None:
        return "give a value of the type shown: null means 'not given' only for a tool's own optional arguments."
    if _accepts(schema, "boolean") and isinstance(instance, int | str):
        return "send true or false (JSON booleans): numbers and words are not read as booleans."
    return "send the value with the type shown (no conversion is done)."


def _accepts(schema: Mapping[str, Any], kind: str) -> bool:
    kinds = schema.get("type")
    if kinds == kind or (isinstance(kinds, list) and kind in kinds):
        return True
    return any(_accepts(b, kind) for key in ("anyOf", "oneOf") for b in schema.get(key, []) if isinstance(b, dict))


def choice_fix(instance: Any, schema: Mapping[str, Any]) -> str:
    """The accepted value a wrong one most likely meant (`T2V`, `t3v`: "t2v")."""
    names = [c for c in schema.get("enum", [schema.get("const")]) if isinstance(c, str)]
    if isinstance(instance, str) and names:
        same = [n for n in names if n.lower() == instance.strip().lower()]
        close = same or difflib.get_close_matches(instance, names, n=1, cutoff=0.5)
        if close:
            return f"did you mean {json.dumps(close[0], ensure_ascii=False)}?"
    return "use one of the accepted values."


def forbidden_values(value: Any, field: str = "arguments") -> list[Problem]:
    """A problem for each text (anywhere in the arguments) holding a control character, NUL or lone surrogate, and
    for each NaN or infinity (Python's JSON reader lets them in; no JSON number is either)."""
    if isinstance(value, str) and (match := FORBIDDEN_CHARACTER.search(value)):
        message = f"the text holds the control character U+{ord(match.group()):04X} at position {match.start()}."
        fix = "remove control characters: only tab, newline and carriage return are accepted in text."
        return [Problem(field, "control_character", message, fix)]
    if isinstance(value, float) and not math.isfinite(value):
        return [Problem(field, "invalid_number", f"given {value!r}, which is not a JSON number.", "give a number.")]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in forbidden_values(item, join(field, str(key)))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in forbidden_values(item, f"{field}[{index}]")]
    return []


def unique(problems: Iterable[Problem]) -> list[Problem]:
    """Each problem once (by code and field), in the order found."""
    seen: dict[tuple[str, str], Problem] = {}
    for problem in problems:
        seen.setdefault((problem.code, problem.field), problem)
    return list(seen.values())


def refusal_text(problems: Sequence[Problem]) -> str:
    """The house refusal: one `code (field): message Fix: fix` line per problem, at most MAX_PROBLEM_LINES."""
    lines = [f"{p.code} ({p.field}): {p.message} Fix: {p.fix}" for p in problems[:MAX_PROBLEM_LINES]]
    if len(problems) > MAX_PROBLEM_LINES:
        more = len(problems) - MAX_PROBLEM_LINES
        lines.append(f"too_many_problems (arguments): {more} more not shown. Fix: correct the above and call again.")
    return REFUSED + "\n" + "\n".join(lines)


def field_name(path: Iterable[Any]) -> str:
    """`shots[1].duration` for the path ['shots', 1, 'duration']; `arguments` for the whole object."""
    name = "arguments"
    for part in path:
        name = f"{name}[{part}]" if isinstance(part, int) else join(name, str(part))
    return name


def join(field: str, key: str) -> str:
    return echo(key) if field == "arguments" else f"{field}.{echo(key)}"


def echo(text: str) -> str:
    """A caller's text, safe to repeat: control characters escaped, cut to ECHO_CHARS."""
    shown = json.dumps(text[: ECHO_CHARS + 1], ensure_ascii=False)[1:-1]
    return shown[:ECHO_CHARS] + "…" if len(shown) > ECHO_CHARS else shown


def describe_value(value: Any) -> str:
    """A short account of a caller's value: its JSON type and (cut) content."""
    if isinstance(value, str):
        return f'the string "{echo(value)}"' + (f" ({len(value)} characters)" if len(value) > ECHO_CHARS else "")
    if isinstance(value, list | dict):
        count, unit = len(value), "item" if isinstance(value, list) else "key"
        return f"an {json_type(value)} of {count} {unit}{'s' * (count != 1)}"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        return f"an integer of {value.bit_length()} bits"
    return json.dumps(value) if isinstance(value, bool) or value is None else echo(repr(value))


def json_type(value: Any) -> str:
    """The JSON type name of a parsed JSON value."""
    if isinstance(value, bool):
        return "boolean"
    kinds = {int: "integer", float: "number", str: "string", list: "array", dict: "object"}
    return next((name for kind, name in kinds.items() if isinstance(value, kind)), "null")
