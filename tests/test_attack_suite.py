"""The attack suite: generated calls of every tool, drawn from its published input schema, against a real wan-mcp
pointed at the emulator over an in-memory MCP client, in both protocol eras.

Each example is one tool call with arguments that are valid by the schema (with values an agent might send: real and
broken media references, huge strings, big numbers, null for optional arguments it does not mean to give) or broken
on purpose: an unknown or misspelt name (also inside make_long_video's shots), a wrong JSON type or nested garbage
(null where the argument is required or inside a value), a value out of range, a missing required argument, a control
character, NUL or lone surrogate in a text. For every call it asserts: never a bare "Error executing tool X", never
pydantic's text, never the canary key in a result or a log line, a broken call refused in the house format, a valid
call never refused at the boundary (only the planner may refuse it), and never a create request at the emulator for
an input that should be refused (one that breaks the schema, or that the planner refuses in a dry run of the same
arguments). A paid call the planner accepts is only planned, never sent, so
the suite leaves no job behind (the one seed job it makes to have a real task, handle and video to point at is done
before the calls start).

Size: WAN_MCP_FUZZ_EXAMPLES examples per protocol era (default 200, derandomized: every run sees the same examples).
`WAN_MCP_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest tests/test_attack_suite.py -s` runs a deep campaign with a
random seed. The figures (calls, refusals, creates for refused inputs, bare errors, pydantic texts, key leaks, crashes
answered by the server's internal_error line) are printed at the end of each era (visible with -s).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from mcp import Client

import mediafiles
from conftest import CANARY_KEY, LiveEmulator, result_data
from wan_mcp.config import load_settings
from wan_mcp.emulator.app import CREATE_PATHS
from wan_mcp.server import build_server
from wan_mcp.server.strict import StrictArguments

EXAMPLES = int(os.environ.get("WAN_MCP_FUZZ_EXAMPLES", "200"))
DEEP = "WAN_MCP_FUZZ_EXAMPLES" in os.environ
PAID = frozenset({"submit_video", "make_long_video", "extend_video"})  # the tools with a dry run
REFUSED = "Refused before anything was sent or paid:"
LIBRARY_TEXT = ("validation error", "pydantic", "input should be", "errors.pydantic.dev")
BARE = re.compile(r"Error executing tool \w+")
MEDIA = ("image", "first_frame", "last_frame", "audio", "video", "mask_image", "mask_video", "first_clip")
MEDIA += ("last_clip", "reference_file", "references", "ref_images")
DOUBTFUL_MEDIA = ("", " ", "oss://x", "file:///etc/hosts", "~/.dashscope/api_key", "data:image/png;base64,iVBORw0KGgo=")
WRONG_TYPES = ["yes", "true", "no", "5", "0.5", "[]", 1, 0, 2.5, True, False, None, [], {}, ["x"], {"a": 1}, [1]]
CONTROLS = ["\x00", "\x01", "\x07", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9f", "\ud800", "\udfff"]
TEXT = st.one_of(
    st.text(st.characters(exclude_categories=("Cc", "Cs")) | st.sampled_from("\t\n\r"), max_size=40),
    st.builds(
        lambda unit, count: unit * count, st.sampled_from(["a", "狐", "🦊", "x/", "../"]), st.integers(1, 300_000)
    ),
)
GARBAGE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)


@dataclass(frozen=True)
class Seed:
    """Real things for the calls to point at: a delivered job and its video, a local picture."""

    task_id: str
    handle: str
    video: str
    picture: str

    def bases(self, tool: str) -> list[dict[str, st.SearchStrategy[Any]]]:
        """Plausible requests of a tool, their media drawn from the hints (so doubtful ones reach the planner)."""
        media, prompts = st.sampled_from(self.hints("image")), st.sampled_from(self.hints("prompt"))
        shot = st.fixed_dictionaries({"prompt": prompts}, optional={"duration": st.integers(1, 6)})
        return {
            "submit_video": [
                {"mode": st.just("t2v"), "prompt": prompts},
                {"mode": st.just("i2v"), "image": media, "prompt": prompts},
                {"mode": st.just("kf2v"), "first_frame": media, "last_frame": media},
                {"mode": st.just("r2v"), "references": st.lists(media, min_size=1, max_size=3), "prompt": prompts},
                {"mode": st.just("s2v"), "image": media, "audio": media},
            ],
            "make_long_video": [{"shots": st.lists(shot, min_size=1, max_size=3)}],
            "extend_video": [{"source": st.sampled_from([self.handle, self.task_id]), "prompt": prompts}],
        }.get(tool, [])

    def hints(self, name: str) -> list[Any]:
        """Values an agent might give for the argument `name`, valid or not (empty: only generated text)."""
        media = ["https://example.com/a.png", "https://example.com/a.mp4", "https://example.com/a.wav", "oss://x"]
        media += ["", " ", "/nonexistent/a.png", "~/.dashscope/api_key", self.picture, self.video, "file:///etc/hosts"]
        media.append("data:image/png;base64,iVBORw0KGgo=")
        sources = [self.task_id, self.handle, self.video, "no-such-task", "", "wan-0", "../../etc/passwd"]
        named: dict[str, list[Any]] = {
            "prompt": [
                "A red fox in the snow",
                "Shot 1 [0-2s]: a fox\nShot 2 [2-4s]: it runs",
                "",
                " ",
                "狐狸在雪中奔跑",
            ],
            "resolution": ["480P", "720P", "1080P", "720p", "4K"],
            "aspect_ratio": ["16:9", "9:16", "1:1", "4:3", "21:9", "adaptive", "16x9"],
            "size": ["1280*720", "1920*1080", "720*1280", "832*480", "1280x720"],
            "model": ["wan2.6-t2v", "wan2.2-t2v-plus", "wanx2.1-t2v-turbo", "wan3.0-video", "wan2.6-i2v", "nope"],
            "t2v_model": ["wan2.6-t2v", "wan2.6-i2v", "x"],
            "i2v_model": ["wan2.6-i2v", "wan2.6-t2v", "x"],
            "function": ["image_reference", "video_repainting", "video_edit", "video_extension", "video_outpainting"],
            "template": ["flying", "hanfu-1", "nope"],
            "control_condition": ["posebodyface", "depth", "scribble", ""],
            "quality": ["std", "pro", "max"],
            "mask_type": ["tracking", "fixed"],
            "expand_mode": ["hull", "bbox", "original"],
            "reference_link": ["https://example.com/page", "javascript:alert(1)", ""],
            "at": ["first", "last", "1.5", "-1", "nan", "inf", "1e9", ""],
            "status": ["PENDING", "SUCCEEDED", "delivered", "unconfirmed", "x"],
            "region": ["beijing", "singapore", "virginia", "frankfurt", "mars"],
            "task_id": sources,
            "source": sources,
            "videos": sources,
        }
        return named.get(name, media if name in MEDIA else [])


@dataclass
class Tally:
    """What the campaign did and saw (the promises' figures must stay at zero)."""

    calls: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    creates_for_refused: int = 0
    creates_otherwise: int = 0
    bare_errors: int = 0
    pydantic_texts: int = 0
    key_leaks: int = 0
    crashes: Counter[str] = field(default_factory=Counter)
    doubtful_plans: Counter[str] = field(default_factory=Counter)
    null_plans_compared: int = 0

    def figures(self, era: str) -> str:
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        crashes = dict(self.crashes) or "none"
        return (
            f"attack suite ({era}): {self.calls} calls ({outcomes}); creates for refused inputs "
            f"{self.creates_for_refused}, other creates {self.creates_otherwise}; bare errors {self.bare_errors}; "
            f"pydantic texts {self.pydantic_texts}; key leaks {self.key_leaks}; crashes answered as internal_error: "
            f"{crashes}; paid calls the planner accepted with a doubtful media value: "
            f"{dict(self.doubtful_plans) or 'none'}; dry runs with null optional arguments matched without them: "
            f"{self.null_plans_compared}"
        )


@dataclass(frozen=True)
class Case:
    """One generated call: the tool, its arguments, and how they break the published schema (None: they do not)."""

    tool: str
    arguments: dict[str, Any]
    broken: str | None


def property_validator(schema: dict[str, Any], name: str) -> Draft202012Validator:
    """A validator for one property of a tool's published schema (its $refs resolved in the tool's $defs)."""
    return Draft202012Validator({"$defs": schema.get("$defs", {}), **schema["properties"][name]})


def accepted(schema: dict[str, Any], name: str, value: Any) -> bool:
    """Whether wan-mcp must accept `value` for `name`: the published schema accepts it, or it is null for an optional
    argument (read as not given); an array or object sent as JSON text counts as that array or object where no string
    is accepted (as wan-mcp and the SDK read it)."""
    if property_validator(schema, name).is_valid(value):
        return True
    if value is None and name not in schema.get("required", []):
        return True
    about = schema["properties"][name]
    kinds = [about.get("type"), *(branch.get("type") for branch in about.get("anyOf", []))]
    if not isinstance(value, str) or "string" in kinds:
        return False
    try:
        decoded = json.loads(value)
    except (ValueError, RecursionError):
        return False
    return isinstance(decoded, list | dict) and property_validator(schema, name).is_valid(decoded)


def resolved(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return root["$defs"][ref.rsplit("/", 1)[1]] if isinstance(ref, str) else schema


def valid_value(name: str, schema: dict[str, Any], root: dict[str, Any], seed: Seed) -> st.SearchStrategy[Any]:
    """Values the schema accepts for `name`, mixed with the values an agent might send for it."""
    schema = resolved(schema, root)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return st.one_of([valid_value(name, branch, root, seed) for branch in schema["anyOf"]])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([valid_value(name, {**schema, "type": k}, root, seed) for k in kind])
    if kind == "string":
        hints = [h for h in seed.hints(name) if isinstance(h, str)]
        return st.sampled_from(hints) | TEXT if hints else TEXT
    if kind == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is not None or high is not None:
            return st.integers(low, high)
        return st.integers(-5, 40) | st.sampled_from([2147483647, 2147483648, 10**30, -(2**63)])
    if kind == "number":
        low = schema.get("exclusiveMinimum")
        return st.floats(min_value=low, exclude_min=low is not None, allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        items = schema.get("items", {})
        hints = seed.hints(name)
        lists = st.lists(valid_value(name, items, root, seed), max_size=5)
        return st.lists(st.sampled_from(hints), min_size=1, max_size=4) | lists if hints else lists
    if kind == "object":
        return valid_object(schema, root, seed)
    return GARBAGE


def valid_object(schema: dict[str, Any], root: dict[str, Any], seed: Seed) -> st.SearchStrategy[dict[str, Any]]:
    props = schema.get("properties", {})
    required = {n: valid_value(n, props[n], root, seed) for n in schema.get("required", [])}
    optional = {n: valid_value(n, s, root, seed) for n, s in props.items() if n not in required}
    return st.fixed_dictionaries(required, optional=optional)


@st.composite
def valid_arguments(draw: st.DrawFn, tool: str, schema: dict[str, Any], seed: Seed) -> dict[str, Any]:
    """Half the time a plausible request of the tool (with its media drawn from the hints), else only the required
    arguments; plus up to 3 others; then, a third of the time each, null for a few or for every optional argument
    not given (as agents and clients that fill every field do)."""
    props = schema["properties"]
    bases = seed.bases(tool)
    base = draw(st.sampled_from(bases).flatmap(st.fixed_dictionaries)) if bases and draw(st.booleans()) else {}
    names = [n for n in schema.get("required", []) if n not in base]
    others = [n for n in props if n not in names]
    names += draw(st.lists(st.sampled_from(others), max_size=3, unique=True)) if others else []
    given = {**base, **{n: draw(valid_value(n, props[n], schema, seed)) for n in names}}
    left = [n for n in props if n not in given and n not in schema.get("required", [])]
    some = st.lists(st.sampled_from(left), min_size=1, max_size=3, unique=True) if left else st.just([])
    nulls = draw(st.one_of(st.just([]), some, st.just(left)))
    return {**given, **dict.fromkeys(nulls)}


def read_by_the_sdk(arguments: dict[str, Any]) -> bool:
    """Whether a text argument is JSON the SDK decodes before its own check (an array, object, true, false or null
    in quotes, for any parameter not typed plain `str`): such a call may be refused at the boundary though the
    published schema accepts it (the refusal says why)."""
    for value in arguments.values():
        with contextlib.suppress(ValueError, RecursionError):
            if isinstance(value, str) and not isinstance(json.loads(value), str | int | float):
                return True
    return False


def misspellings(name: str) -> list[str]:
    words = name.split("_")
    camel = words[0] + "".join(w.title() for w in words[1:])
    return [name.replace("_", "-"), camel, name.title(), name.upper(), name + "s", name[:-1], " " + name]


def text_fields(arguments: dict[str, Any]) -> list[tuple[str, Any]]:
    """Where the arguments hold text: (name, None) for a string, (name, index) for a string in a list or a shot."""
    found: list[tuple[str, Any]] = []
    for name, value in arguments.items():
        if isinstance(value, str):
            found.append((name, None))
        elif isinstance(value, list):
            found += [(name, i) for i, v in enumerate(value) if isinstance(v, str | dict)]
    return found


@st.composite
def broken_arguments(draw: st.DrawFn, tool: str, schema: dict[str, Any], arguments: dict[str, Any]) -> Case:
    """The arguments broken in one of the ways the published schema refuses."""
    props, arguments = schema["properties"], dict(arguments)
    ways = ["unknown", "type", "garbage", "control"]
    ways += ["range"] * any("maximum" in p for p in props.values())
    ways += ["missing"] * bool(set(schema.get("required", [])) & set(arguments))
    ways += ["unknown in a shot"] * bool(arguments.get("shots"))
    how = draw(st.sampled_from(ways))
    if how == "unknown":
        key = draw(st.sampled_from([m for n in props for m in misspellings(n)]) | st.text(min_size=1, max_size=30))
        key = key if key not in props else key + "_"
        return Case(tool, {**arguments, key: draw(GARBAGE)}, f"unknown name {key!r}")
    if how == "unknown in a shot":
        shots = list(arguments["shots"])
        index = draw(st.integers(0, len(shots) - 1))
        key = draw(st.sampled_from(["Duration", "negative-prompt", "negative_prompt", "seed", "durations", "prompt "]))
        shots[index] = {**shots[index], key: draw(GARBAGE)}
        return Case(tool, {**arguments, "shots": shots}, f"unknown name {key!r} in shots[{index}]")
    if how in ("type", "garbage"):
        name = draw(st.sampled_from(sorted(props)))
        wrong = [v for v in WRONG_TYPES if not accepted(schema, name, v)]
        value = draw(GARBAGE) if how == "garbage" else draw(st.sampled_from(wrong))
        if not accepted(schema, name, value):
            return Case(tool, {**arguments, name: value}, f"{name} of the wrong type: {value!r:.40}")
    if how == "control":
        control = draw(st.sampled_from(CONTROLS))
        fields = text_fields(arguments)
        if not fields:
            name = draw(st.sampled_from(sorted(n for n, p in props.items() if "string" in json.dumps(p))))
            return Case(tool, {**arguments, name: f"a{control}b"}, f"control character in {name}")
        name, index = draw(st.sampled_from(fields))
        if index is None:
            return Case(tool, {**arguments, name: arguments[name] + control}, f"control character in {name}")
        items = list(arguments[name])
        item = items[index]
        items[index] = (
            {**item, "prompt": f"{item.get('prompt')}{control}"} if isinstance(item, dict) else item + control
        )
        return Case(tool, {**arguments, name: items}, f"control character in {name}[{index}]")
    if how == "range":
        name = draw(st.sampled_from(sorted(n for n, p in props.items() if "maximum" in p)))
        low, high = props[name].get("minimum", 0), props[name]["maximum"]
        return Case(tool, {**arguments, name: draw(st.sampled_from([low - 1, high + 1]))}, f"{name} out of range")
    if how == "missing":
        name = draw(st.sampled_from(sorted(set(schema["required"]) & set(arguments))))
        return Case(tool, {k: v for k, v in arguments.items() if k != name}, f"{name} missing")
    return Case(tool, arguments, None)


@st.composite
def cases(draw: st.DrawFn, tools: dict[str, dict[str, Any]], seed: Seed) -> Case:
    tool = draw(st.sampled_from(sorted(tools)))
    arguments = draw(valid_arguments(tool, tools[tool], seed))
    if draw(st.booleans()):
        return Case(tool, arguments, None)
    return draw(broken_arguments(tool, tools[tool], arguments))


class Attack:
    """Runs generated calls against one wan-mcp and checks every answer."""

    def __init__(
        self, portal: BlockingPortal, client: Client, live: LiveEmulator, tally: Tally, boundary: list[int]
    ) -> None:
        self.portal, self.client, self.live, self.tally = portal, client, live, tally
        self.boundary = boundary  # how many calls the strict-arguments middleware refused (it counts them)

    def run(self, case: Case) -> None:
        arguments, refused_by = case.arguments, "schema" if case.broken else None
        if case.tool in PAID and case.broken is None and arguments.get("dry_run") is not True:
            plan = self.call(case, {**arguments, "dry_run": True}, expect_refused=False)
            self.check_nulls_are_absent(case, plan)
            if not plan.is_error:
                self.tally.outcomes["planned, not sent"] += 1
                for name in set(MEDIA) & set(arguments):
                    values = arguments[name] if isinstance(arguments[name], list) else [arguments[name]]
                    for value in values:
                        if value in DOUBTFUL_MEDIA:
                            self.tally.doubtful_plans[f"{case.tool} {name}={value!r}"] += 1
                return  # accepted: a real call would pay; the suite only plans
            refused_by = "planner"
        self.call(case, arguments, expect_refused=refused_by is not None)

    def check_nulls_are_absent(self, case: Case, plan: Any) -> None:
        """A dry run with null optional arguments answers exactly as the one without them (plan or refusal)."""
        given = {name: value for name, value in case.arguments.items() if value is not None}
        if len(given) < len(case.arguments):
            without = self.call(case, {**given, "dry_run": True}, expect_refused=False)
            self.tally.null_plans_compared += 1
            assert without.content == plan.content, f"{case.tool} {json.dumps(case.arguments)[:300]}"

    def creates(self) -> int:
        """Requests to a create path the emulator has seen (read from its in-process log: no HTTP per call)."""
        return sum(entry["path"].rstrip("/") in CREATE_PATHS for entry in list(self.live.emulator.log))

    def call(self, case: Case, arguments: dict[str, Any], *, expect_refused: bool) -> Any:
        before, refusals = self.creates(), self.boundary[0]
        result = self.portal.call(self.client.call_tool, case.tool, arguments)
        creates = self.creates() - before
        at_boundary = self.boundary[0] > refusals
        texts = [c.text for c in result.content if c.type == "text"]
        whole = "\n".join(texts) + json.dumps(result.structured_content)  # None: the facts are the text
        self.tally.calls += 1
        self.tally.outcomes[self.outcome(result, texts, at_boundary)] += 1
        self.tally.bare_errors += any(BARE.fullmatch(t.strip()) for t in texts)
        self.tally.pydantic_texts += any(marker in whole.lower() for marker in LIBRARY_TEXT)
        self.tally.key_leaks += CANARY_KEY in whole
        if expect_refused:
            self.tally.creates_for_refused += creates
        else:
            self.tally.creates_otherwise += creates
        if texts and texts[0].startswith("internal_error"):
            self.tally.crashes[f"{case.tool} {json.dumps(arguments)[:100]}"] += 1
        said = f"{case.tool} {json.dumps(arguments)[:300]} ({case.broken or 'valid'}) → {whole[:500]}"
        assert not any(BARE.fullmatch(t.strip()) for t in texts), said
        assert not any(marker in whole.lower() for marker in LIBRARY_TEXT), said
        assert CANARY_KEY not in whole, said
        assert creates == 0, said
        if case.broken is not None:
            assert result.is_error and texts and texts[0].startswith(REFUSED) and at_boundary, said
        elif not read_by_the_sdk(arguments):  # a valid call: only the planner (or a missing job or file) says no
            assert not at_boundary, said
        return result

    @staticmethod
    def outcome(result: Any, texts: list[str], at_boundary: bool) -> str:
        if not result.is_error:
            return "answered"
        if at_boundary:
            return "refused at the boundary"
        return "refused by wan-mcp" if (texts[0] if texts else "").startswith(REFUSED) else "other error"


def make_seed(portal: BlockingPortal, client: Client, tmp_path: Path) -> Seed:
    """One delivered job (through the server, before the campaign) and a local picture inside the home folder."""
    arguments = {"mode": "t2v", "prompt": "a fox", "resolution": "720P", "duration": 2, "wait_seconds": 30}
    task = result_data(portal.call(client.call_tool, "submit_video", arguments))["task"]
    if task["state"] != "delivered":
        polled = portal.call(client.call_tool, "poll_task", {"task_id": task["task_id"], "wait_seconds": 30})
        task = result_data(polled)
    assert task["state"] == "delivered", task
    picture = mediafiles.write(tmp_path / "fox.png", mediafiles.png(1280, 720))
    return Seed(task["task_id"], task["handle"], task["local_path"], str(picture))


def count_boundary_refusals(server: Any) -> list[int]:
    """A counter of the calls the strict-arguments middleware refuses (our refusals read alike wherever they come
    from: the count tells the boundary's from the planner's)."""
    strict = next(m for m in server.middleware if isinstance(m, StrictArguments))
    count, refuse = [0], strict._refusal

    def counted(*args: Any, **kwargs: Any) -> Any:
        count[0] += 1
        return refuse(*args, **kwargs)

    strict._refusal = counted  # type: ignore[method-assign]
    return count


@pytest.mark.parametrize("era", ["auto", "legacy"])
def test_generated_calls_keep_every_promise(
    era: str, emulator: LiveEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Generated valid and broken calls of every tool: no bare or pydantic error, no key, no create for a refusal."""
    caplog.set_level(logging.INFO)
    tally = Tally()
    server = build_server(load_settings(emulator.server_env(tmp_path)))
    boundary = count_boundary_refusals(server)
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(Client(server, mode=era)) as client:
        tools = {t.name: t.input_schema for t in portal.call(client.list_tools).tools}
        seed = make_seed(portal, client, tmp_path)
        attack = Attack(portal, client, emulator, tally, boundary)
        jobs_before = attack.creates()

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=not DEEP,
            suppress_health_check=list(HealthCheck),
        )
        @given(cases(tools, seed))
        def campaign(case: Case) -> None:
            attack.run(case)

        campaign()
        assert attack.creates() == jobs_before == len(emulator.requests("submit")) == 1
    print(tally.figures(era))
    assert tally.calls >= EXAMPLES and tally.null_plans_compared > 0
    assert CANARY_KEY not in caplog.text
