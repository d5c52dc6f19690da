"""The ledger for people: what was spent (billed) and what is still running (quoted), today and this month, by model
and, when hosted, by tenant, beside the budgets (`wan://spend`, `wan-mcp spend`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from pydantic import BaseModel, Field

from wan_mcp.journal.records import SpendRow
from wan_mcp.service.money import Budgets, committed_today, day_start, limits_for, month_start

NOTE = (
    "Costs are billed seconds × the quoted price per second (wan-mcp's catalog: estimates unless marked official); "
    "failed and cancelled jobs cost nothing. The bill itself is in the Model Studio console."
)


class SpendLine(BaseModel):
    """What one currency adds up to over a period."""

    currency: str | None = Field(description="null for jobs whose price is unknown")
    spent: float = Field(description="succeeded jobs: billed seconds at the quoted price")
    jobs: int = Field(description="succeeded (billed) jobs")
    billed_seconds: float
    running: float = Field(description="the quotes of jobs sent and not ended: billed only if they succeed")
    running_jobs: int
    unpriced_jobs: int = Field(description="succeeded or running jobs whose price is unknown (in neither sum)")


class ModelLine(SpendLine):
    model: str


class TenantLine(SpendLine):
    tenant: str


class BudgetLine(BaseModel):
    """The limits that apply, in the region's currency."""

    currency: str
    max_cost_per_job: float | None
    daily_budget: float | None
    left_today: float | None = Field(None, description="the daily budget less what today has committed")


class Ledger(BaseModel):
    """Spending today and this month (the server's local calendar), by model and by tenant."""

    today_since: str
    month_since: str
    today: list[SpendLine]
    month: list[SpendLine]
    by_model: list[ModelLine] = Field(description="this month")
    by_tenant: list[TenantLine] | None = Field(None, description="this month; hosted mode, for the operator")
    budget: BudgetLine | None = None
    note: str = NOTE


def _line(rows: Iterable[SpendRow], currency: str | None) -> dict[str, float | int | str | None]:
    rows = [r for r in rows if r.currency == currency]
    return {
        "currency": currency,
        "spent": round(sum(r.cost for r in rows), 4),
        "jobs": sum(r.jobs for r in rows),
        "billed_seconds": sum(r.billed_seconds for r in rows),
        "running": round(sum(r.pending_cost for r in rows), 4),
        "running_jobs": sum(r.pending_jobs for r in rows),
        "unpriced_jobs": sum(r.unpriced_jobs + r.pending_unpriced for r in rows),
    }


def _lines(rows: list[SpendRow]) -> list[SpendLine]:
    currencies = sorted({r.currency for r in rows}, key=lambda c: c or "~")
    return [SpendLine.model_validate(_line(rows, c)) for c in currencies]


async def ledger(budgets: Budgets, tenant: str | None) -> Ledger:
    """The ledger of one tenant ("" the single user), or of everyone (`None`: the operator) with a line per tenant."""
    store, settings, now = budgets.store, budgets.settings, budgets.now()
    today, month = day_start(now), month_start(now)
    today_rows = await store.spend(since=today, until=now + 86400, tenant=tenant)
    month_rows = await store.spend(since=month, until=now + 86400, tenant=tenant)
    models = sorted({(r.model, r.currency) for r in month_rows}, key=lambda k: (k[0], k[1] or "~"))
    by_model = [
        ModelLine.model_validate({"model": m, **_line([r for r in month_rows if r.model == m], c)}) for m, c in models
    ]
    by_tenant = None
    if tenant is None and settings.tenants:
        keys = sorted({(r.tenant, r.currency) for r in month_rows}, key=lambda k: (k[0], k[1] or "~"))
        by_tenant = [
            TenantLine.model_validate({"tenant": t, **_line([r for r in month_rows if r.tenant == t], c)})
            for t, c in keys
        ]
    limits = limits_for(settings, tenant or "")
    budget = None
    if limits.any:
        left = None
        if limits.daily_budget is not None and (tenant is not None or not settings.tenants):
            spent = await committed_today(store, tenant or "", limits.currency, now)
            left = round(max(0.0, limits.daily_budget - spent), 4)
        budget = BudgetLine(
            currency=limits.currency,
            max_cost_per_job=limits.max_cost_per_job,
            daily_budget=limits.daily_budget,
            left_today=left,
        )
    return Ledger(
        today_since=datetime.fromtimestamp(today).isoformat(timespec="minutes"),
        month_since=datetime.fromtimestamp(month).isoformat(timespec="minutes"),
        today=_lines(today_rows),
        month=_lines(month_rows),
        by_model=by_model,
        by_tenant=by_tenant,
        budget=budget,
    )


def _amount(line: SpendLine) -> str:
    return f"{line.spent:.2f} {line.currency}" if line.currency else "unpriced"


def _sentence(lines: list[SpendLine]) -> str:
    if not lines:
        return "nothing."
    parts = []
    for line in lines:
        part = f"{_amount(line)} on {line.jobs} video(s) ({line.billed_seconds:g} s billed)"
        if line.running_jobs:
            more = f"{line.running:.2f} {line.currency} more" if line.currency else "more"
            part += f"; {more} if {line.running_jobs} running job(s) succeed"
        parts.append(part)
    return "; ".join(parts) + "."


def ledger_text(book: Ledger) -> str:
    """The ledger as a person reads it."""
    out = [
        f"Today (since {book.today_since.replace('T', ' ')}): {_sentence(book.today)}",
        f"This month (since {book.month_since.replace('T', ' ')}): {_sentence(book.month)}",
    ]
    sections: list[tuple[str, Sequence[SpendLine]]] = [("By model", book.by_model), ("By tenant", book.by_tenant or [])]
    for title, entries in sections:
        if entries:
            out.append(f"{title}, this month:")
            for entry in entries:
                name = entry.model if isinstance(entry, ModelLine) else getattr(entry, "tenant", "") or "(single user)"
                out.append(f"  {name:<24} {_amount(entry):>14}  {entry.jobs:>4} video(s)  {entry.billed_seconds:>6g} s")
    if book.budget is not None:
        b = book.budget
        daily = f"{b.daily_budget:.2f} {b.currency} a day" if b.daily_budget is not None else "no daily budget"
        left = f" ({b.left_today:.2f} {b.currency} left today)" if b.left_today is not None else ""
        per_job = f"; at most {b.max_cost_per_job:.2f} {b.currency} per job" if b.max_cost_per_job is not None else ""
        out.append(f"Budget: {daily}{left}{per_job}.")
    out.append(book.note)
    return "\n".join(out)
