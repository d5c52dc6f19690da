"""Asking the person before a paid call: the question (the call's own dry run, priced), when it is asked
(WAN_MCP_CONFIRM and whether the client can ask), and what the call answers after a yes, a no, or no question.

It works in both protocol eras through the SDK's resolvers, which run before the tool body: `decide` prices the call
by running the tool's own dry run and checks the budgets; `ask` returns `Elicit[...]` when the person should be
asked (the SDK sends the question mid-call on handshake-era connections, and as an `input_required` round on
2026-07-28 ones); `gate_tool` wraps a paid tool so that its body runs only after a yes (or when no question is
asked), and a no or a dismissed question is a clean result saying nothing was sent or spent. A call over a budget is
never asked about: the body refuses it before anything is sent.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from mcp.server.mcpserver import AcceptedElicitation, Context, Elicit, ElicitationResult, Resolve
from mcp_types.version import is_version_at_least
from pydantic import BaseModel, ConfigDict, Field

from wan_mcp.errors import WanMcpError
from wan_mcp.server.context import current_tenant, runtime
from wan_mcp.service.money import Quote
from wan_mcp.views import SubmitView, TaskView

PAID_TOOLS = frozenset({"submit_video", "make_long_video", "extend_video"})
_INPUT_REQUIRED_VERSION = "2026-07-28"  # from this revision a question rides an input_required round, no back channel
View = SubmitView | TaskView


class Go(BaseModel):
    """The answer form: accepting is the yes (one ticked box, for clients that want a field)."""

    model_config = ConfigDict(title="Confirm the price")
    confirm: bool = Field(True, title="Make it", description="untick (or decline) to make nothing and pay nothing")


@dataclass(frozen=True)
class Gate:
    """What the server decided before a paid call: the question to ask (None: none), the call's priced dry run,
    and the note its result carries when no question was asked ('' for none)."""

    question: str | None = None
    dry: View | None = None
    note: str = ""


def can_ask(ctx: Context[Any]) -> bool:
    """The client takes form elicitation, and this request has a way to carry the question."""
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    if elicitation is None or (elicitation.form is None and elicitation.url is not None):
        return False
    version = ctx.protocol_version
    return (version is not None and is_version_at_least(version, _INPUT_REQUIRED_VERSION)) or (
        ctx.session.can_send_request
    )


def quote_of(view: View) -> Quote | None:
    """What the priced call would newly pay for; None when it would pay nothing new (an identical job already made,
    a chain already running or done)."""
    if isinstance(view, SubmitView):
        return None if view.task is not None else Quote.of(view.estimate, view.model)
    due = [s for s in view.segments or [] if not s.get("kept")]
    if not due:
        return None
    return Quote(view.cost, view.currency, any(s.get("price_is_estimate", True) for s in due), view.model)


def question(view: View, quote: Quote) -> str:
    """The question the person sees, e.g. 'Make a 5 s 720P video with <model> for ≈ 3.00 CNY (estimate),
    usually 1–5 min?'."""
    if isinstance(view, SubmitView):
        e = view.estimate
        size = " ".join(p for p in (f"{e.output_seconds:g} s" if e.output_seconds else "", e.resolution or "") if p)
        return f"Make a {size + ' ' if size else ''}video with {view.model} for {quote.text()}, {e.wait_text}?"
    segments = view.segments or []
    due = [s for s in segments if not s.get("kept")]
    seconds = f"{view.billed_seconds or 0:g} s"
    if view.mode == "extend":
        what = f"Extend the video by {seconds} with {view.model}"
    elif len(due) < len(segments):
        what = f"Re-make {len(due)} of {len(segments)} shots ({seconds}) with {view.model}"
    else:
        what = f"Make a {seconds} video of {len(due)} shot{'s' if len(due) > 1 else ''} with {view.model}"
    return f"{what} for {quote.text()}, {view.expected_wait_text or ''} in all?"


async def unasked_note(ctx: Context[Any], quote: Quote) -> str | None:
    """Why no question is asked about this call (None: ask it)."""
    settings = (await runtime(ctx)).service.settings
    if settings.confirm == "off":
        return "No confirmation was asked (WAN_MCP_CONFIRM=off)."
    if settings.confirm == "over" and quote.cost is not None and quote.cost <= settings.confirm_over:
        return f"No confirmation was asked: {quote.text()} is within WAN_MCP_CONFIRM=over:{settings.confirm_over:g}."
    if not can_ask(ctx):
        return (
            "No confirmation was asked: this client cannot ask the person (no MCP elicitation), so its own tool "
            "permission was the gate."
        )
    return None


async def decide(ctx: Context[Any], tool: Callable[..., Awaitable[View]], arguments: dict[str, Any]) -> Gate:
    """Price the call with its own dry run; no question for a dry run, a refused request, a call over a budget
    (the body refuses them), a call that pays nothing new, or by the policy."""
    if arguments.get("dry_run"):
        return Gate()
    try:
        dry = await tool(ctx=ctx, **{**arguments, "dry_run": True})
    except WanMcpError:
        return Gate()  # the body raises the same refusal, in the tools' error format
    quote = quote_of(dry)
    if quote is None or await (await runtime(ctx)).service.budgets.refusal(quote, current_tenant()) is not None:
        return Gate()
    note = await unasked_note(ctx, quote)
    return Gate(dry=dry, note=note) if note else Gate(question(dry, quote), dry)


def not_sent(gate: Gate, answer: ElicitationResult[Go]) -> View:
    """The clean answer to a no or a dismissed question: the dry run, saying nothing was sent or spent."""
    assert gate.dry is not None
    who = "dismissed the question" if answer.action == "cancel" else "declined"
    message = f"Not sent: the person {who}. Nothing was sent or spent; do not retry unless they ask for it."
    update: dict[str, Any] = {"message": message}
    if isinstance(gate.dry, TaskView):
        update["state"] = "declined"
    return gate.dry.model_copy(update=update)


def gate_tool(tool: Callable[..., Awaitable[View]]) -> Callable[..., Awaitable[View]]:
    """`tool` asking the person first (see the module's docstring): two resolved parameters, not in its schema."""
    signature = inspect.signature(tool, eval_str=True)  # the wrapper's signature carries real annotations
    names = [name for name in signature.parameters if name != "ctx"]

    async def decide_call(ctx: Context[Any], **arguments: Any) -> Gate:
        return await decide(ctx, tool, arguments)

    async def ask(gate: Gate) -> Gate | Elicit[Go]:
        return Elicit(gate.question, Go) if gate.question is not None else gate

    context = inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context[Any])
    by_name = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY) for name in names]
    decide_call.__signature__ = inspect.Signature([context, *by_name])  # type: ignore[attr-defined]
    decide_call.__annotations__ = {"ctx": Context[Any], "return": Gate}
    ask.__annotations__ = {"gate": Annotated[Gate, Resolve(decide_call)], "return": Gate | Elicit[Go]}
    for resolver, role in ((decide_call, "price"), (ask, "ask")):  # stable wire keys, the same on every replica
        resolver.__qualname__ = resolver.__name__ = f"{tool.__name__}_{role}"

    @functools.wraps(tool)
    async def call(*args: Any, confirm_gate: Gate, confirm_answer: ElicitationResult[Go], **kwargs: Any) -> View:
        if confirm_gate.question is None:
            result = await tool(*args, **kwargs)
            if not confirm_gate.note:
                return result
            return result.model_copy(update={"message": f"{result.message} {confirm_gate.note}"})
        if isinstance(confirm_answer, AcceptedElicitation) and getattr(confirm_answer.data, "confirm", False):
            return await tool(*args, **kwargs)
        return not_sent(confirm_gate, confirm_answer)

    resolved = [
        inspect.Parameter("confirm_gate", inspect.Parameter.KEYWORD_ONLY, annotation=Gate),
        inspect.Parameter("confirm_answer", inspect.Parameter.KEYWORD_ONLY, annotation=ElicitationResult[Go]),
    ]
    parameters = list(signature.parameters.values())
    call.__signature__ = signature.replace(parameters=[*parameters, *resolved])  # type: ignore[attr-defined]
    call.__annotations__ = {
        **tool.__annotations__,
        "confirm_gate": Annotated[Gate, Resolve(decide_call)],
        "confirm_answer": Annotated[ElicitationResult[Go], Resolve(ask)],
    }
    return call
