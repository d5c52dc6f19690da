"""The user's money before anything is sent: quotes, the limits a call must fit (per job, per day, per tenant),
and what a day has already committed (billed, running, and reserved by chains still going)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import anyio

from wan_mcp import catalog
from wan_mcp.config import Settings
from wan_mcp.errors import OverBudget, Problem
from wan_mcp.journal.budget import SLACK, DailyBudget, OverDailyBudget, committed
from wan_mcp.journal.store import JournalUnavailable, Store
from wan_mcp.polling import Clock
from wan_mcp.states import ChainState
from wan_mcp.views import EstimateView


@dataclass(frozen=True)
class Quote:
    """What a call would newly commit to: its cost in the region's currency (None: no price known)."""

    cost: float | None
    currency: str | None
    estimate: bool  # an unofficial price (the catalog's estimate), not DashScope's published one
    subject: str  # the model(s), for messages

    @classmethod
    def of(cls, estimate: EstimateView, model: str) -> Quote:
        return cls(estimate.cost, estimate.currency, estimate.price_is_estimate, model)

    def text(self) -> str:
        """'≈ 3.00 CNY (estimate)', or what is known when no price is."""
        if self.cost is None:
            return "a price not known here (billed per second of video; see the Model Studio console)"
        return f"≈ {self.cost:.2f} {self.currency} ({'estimate' if self.estimate else 'official price'})"


@dataclass(frozen=True)
class Limits:
    """The spending limits one tenant's calls must fit ("" is the single user, or the server-wide default)."""

    tenant: str
    max_cost_per_job: float | None
    daily_budget: float | None
    currency: str
    own: frozenset[str] = frozenset()  # the limits the tenant sets itself (the rest are the server's)

    @property
    def any(self) -> bool:
        return self.max_cost_per_job is not None or self.daily_budget is not None

    def setting(self, name: str) -> str:
        """Where a limit is set, for messages."""
        return f"{name} of tenant {self.tenant} in WAN_MCP_TENANTS" if name in self.own else "WAN_MCP_" + name.upper()


def limits_for(settings: Settings, tenant: str) -> Limits:
    """A tenant's own limits where it has them, else the server's (WAN_MCP_MAX_COST_PER_JOB, WAN_MCP_DAILY_BUDGET)."""
    found = settings.tenants.get(tenant) if tenant else None
    own = {"max_cost_per_job": found.max_cost_per_job, "daily_budget": found.daily_budget} if found else {}
    own = {name: value for name, value in own.items() if value is not None}
    region = found.region if found and found.region else settings.region
    return Limits(
        tenant,
        own.get("max_cost_per_job", settings.max_cost_per_job),
        own.get("daily_budget", settings.daily_budget),
        catalog.REGIONS[region].currency,
        frozenset(own),
    )


def day_start(now: float) -> float:
    """The start of the server's local calendar day that `now` falls in."""
    moment = datetime.fromtimestamp(now)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def month_start(now: float) -> float:
    """The start of the local calendar month that `now` falls in."""
    moment = datetime.fromtimestamp(now)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()


async def committed_today(store: Store, tenant: str, currency: str, now: float) -> float:
    """What today already commits in `currency`: billed jobs, the quotes of jobs still running, and the quotes of
    the segments running chains have yet to send (reserved when the chain was admitted)."""
    rows = await store.spend(since=day_start(now), until=now + 86400, tenant=tenant)
    return committed(rows, await store.list_chains((ChainState.RUNNING,)), tenant, currency)


class Budgets:
    """The limits enforced before anything is sent. In this process, the check and the record it guards are one
    step (`admit`), so parallel calls cannot all pass the same last bit of a budget; the store checks the day's
    budget again inside the transaction that writes the record, so processes sharing the journal cannot either."""

    def __init__(self, settings: Settings, store: Store, clock: Clock | None = None) -> None:
        self.settings = settings
        self.store = store
        self.now = clock.now if clock is not None else time.time
        self._lock = anyio.Lock()

    async def refusal(self, quote: Quote, tenant: str) -> OverBudget | None:
        """Why this call is over a limit (None when it fits, or when no limit is set)."""
        return (await self._check(quote, tenant, self.now()))[0]

    async def _check(self, quote: Quote, tenant: str, now: float) -> tuple[OverBudget | None, DailyBudget | None]:
        """The refusal, or None and the day's budget the record must still fit (None: no daily budget)."""
        limits = limits_for(self.settings, tenant)
        if not limits.any:
            return None, None
        if quote.cost is None:
            return _unknown_price(quote, limits), None
        if limits.max_cost_per_job is not None and quote.cost > limits.max_cost_per_job + SLACK:
            return _over_per_job(quote, limits, limits.max_cost_per_job), None
        if limits.daily_budget is None:
            return None, None
        currency = quote.currency or limits.currency
        budget = DailyBudget(tenant, currency, day_start(now), now + 86400, limits.daily_budget, quote.cost)
        spent = await committed_today(self.store, tenant, currency, now)
        return (None, budget) if budget.fits(spent) else (_over_daily(quote, limits, budget.limit, spent), None)

    @asynccontextmanager
    async def admit(self, quote: Quote, tenant: str) -> AsyncIterator[DailyBudget | None]:
        """Refuse a call over a limit; else hold the budget while the caller records the job (or chain), giving the
        store the day's budget it yields. When the store refuses it (another process recorded first), the refusal
        is the same `over_daily_budget`, counting what the store found."""
        async with self._lock:
            refused, budget = await self._check(quote, tenant, self.now())
            if refused is not None:
                raise refused
            try:
                yield budget
            except OverDailyBudget as exc:
                assert budget is not None
                raise _over_daily(quote, limits_for(self.settings, tenant), budget.limit, exc.committed) from None

    async def note(self, quote: Quote, tenant: str) -> str:
        """For a dry run: a sentence when the call would be refused, else '' (also when the journal cannot say)."""
        try:
            refused = await self.refusal(quote, tenant)
        except JournalUnavailable:
            return ""
        return f" It would be refused: {refused.message}." if refused else ""


def _unknown_price(quote: Quote, limits: Limits) -> OverBudget:
    names = [limits.setting(n) for n in ("max_cost_per_job", "daily_budget") if getattr(limits, n) is not None]
    return OverBudget(
        Problem(
            "cost",
            "price_unknown_under_budget",
            f"no price is known for {quote.subject} here, and a budget is set ({', '.join(names)}): a job of unknown "
            "cost could exceed any budget",
            "choose a model whose price is known (list_modes shows price_per_second), or unset the budget",
        )
    )


def _over_per_job(quote: Quote, limits: Limits, cap: float) -> OverBudget:
    setting = limits.setting("max_cost_per_job")
    return OverBudget(
        Problem(
            "cost",
            "over_max_cost_per_job",
            f"this call costs {quote.text()}, over the limit of {cap:.2f} {quote.currency} per job ({setting})",
            f"make it shorter, at a lower resolution or with a cheaper model (dry_run prices it), or raise {setting}",
        )
    )


def _over_daily(quote: Quote, limits: Limits, budget: float, spent: float) -> OverBudget:
    setting = limits.setting("daily_budget")
    left = max(0.0, budget - spent)
    return OverBudget(
        Problem(
            "cost",
            "over_daily_budget",
            f"this call costs {quote.text()} but only {left:.2f} {quote.currency} is left of today's budget of "
            f"{budget:.2f} {quote.currency} ({spent:.2f} spent or running today; {setting})",
            f"wait for tomorrow (the budget renews at local midnight), make a cheaper video (dry_run prices it), or "
            f"raise {setting}",
        )
    )


def chain_quote(totals: dict[str, Any], due: list[int]) -> Quote:
    """The quote of some segments of a planned chain (unknown when any of them has no price)."""
    parts = [s for s in totals["segments"] if s["index"] in due]
    costs = [s["cost"] for s in parts]
    return Quote(
        cost=round(sum(costs), 4) if all(c is not None for c in costs) else None,
        currency=totals["currency"],
        estimate=any(s["price_is_estimate"] for s in parts),
        subject=", ".join(sorted({s["model"] for s in parts})),
    )
