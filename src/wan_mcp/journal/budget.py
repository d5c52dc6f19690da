"""A day's budget as a condition of the write: what a tenant's day already commits, and the check a store makes in
the same transaction that records a new job or chain, so processes sharing one journal cannot all pass it at once.

`committed` is the one meaning of "spent or running today", for the service's own check and for both stores.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from wan_mcp.journal.records import ChainRecord, SpendRow
from wan_mcp.states import ChainState

SLACK = 1e-9  # rounding: a quote equal to what is left fits


@dataclass(frozen=True)
class DailyBudget:
    """The budget a new job (or chain) must fit: what `tenant` commits in `currency` from `since` (the start of its
    day) to `until`, plus `cost` (the new quote), may be at most `limit`."""

    tenant: str
    currency: str
    since: float
    until: float
    limit: float
    cost: float

    def fits(self, committed: float) -> bool:
        return committed + self.cost <= self.limit + SLACK


class OverDailyBudget(Exception):
    """A store refused to write a job or chain: its day already commits `committed`, and the quote does not fit."""

    def __init__(self, committed: float) -> None:
        super().__init__(f"over the day's budget: {committed:.2f} already spent or running")
        self.committed = committed


def committed(rows: Iterable[SpendRow], chains: Iterable[ChainRecord], tenant: str, currency: str) -> float:
    """What a day commits in `currency`: its billed jobs and the quotes of its jobs still running (`rows`, the
    ledger of that day and tenant), and the quotes of the segments the tenant's running chains have yet to send
    (reserved when the chain was admitted)."""
    total = sum(row.cost + row.pending_cost for row in rows if row.currency == currency)
    for chain in chains:
        totals = chain.spec.get("totals", {})
        if chain.tenant != tenant or chain.state is not ChainState.RUNNING or totals.get("currency") != currency:
            continue
        quotes = {s["index"]: s.get("cost") for s in totals.get("segments", [])}
        total += sum(quotes.get(s.index) or 0.0 for s in chain.segments if s.handle is None)
    return total


def enforce(budget: DailyBudget, rows: Iterable[SpendRow], chains: Iterable[ChainRecord]) -> None:
    """Raise `OverDailyBudget` when the budget's quote does not fit what its day commits (`rows`, `chains`)."""
    spent = committed(rows, chains, budget.tenant, budget.currency)
    if not budget.fits(spent):
        raise OverDailyBudget(spent)
