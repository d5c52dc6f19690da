"""The resources (the catalog, a job's record, the skill) and the prompts, registered on a server."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceNotFoundError

from wan_mcp.config import Settings
from wan_mcp.server.context import Starting, current_tenant, runtime


def register_resources(mcp: MCPServer[Any], settings: Settings, live: Callable[[], Starting | None]) -> None:
    """Add the resources and prompts to `mcp` (`live`: the runtime as it starts, for resources without a context).
    What only a read needs (the catalog's views, the ledger) is imported at the read."""

    @mcp.resource("wan://modes", name="modes", title="Wan modes and models", mime_type="application/json")
    def modes_resource() -> str:
        """The catalog (every mode, model and limit) for the configured region, as JSON."""
        from wan_mcp.catalog_views import modes_view  # noqa: PLC0415

        return modes_view(settings.region).model_dump_json(indent=1)

    @mcp.resource("wan://tasks/{task_id}", name="task", title="A video job", mime_type="application/json")
    async def task_resource(task_id: str, ctx: Context[Any]) -> str:
        """A job's journal record: request (no key), status history, result, local file, error."""
        service = (await runtime(ctx)).service
        record = await service.history(task_id, tenant=current_tenant())
        if record is None:
            raise ResourceNotFoundError(f"no job {task_id!r}")
        data = service.view(record).model_dump(exclude_none=True)
        data["request"] = record.request
        data["history"] = [{**dataclasses.asdict(e), "state": e.state.value} for e in record.events]
        data["notes"] = record.notes
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @mcp.resource("wan://spend", name="spend", title="Spending and budgets", mime_type="application/json")
    async def spend_resource() -> str:
        """What was spent and what is running, today and this month, by model (by tenant when hosted), and the
        budgets with what is left today."""
        from wan_mcp.service.ledger import ledger  # noqa: PLC0415

        starting = live()
        if starting is None:
            raise ResourceNotFoundError("the server is not running")
        running = await starting.get()
        tenant = current_tenant()
        scope = None if tenant == "" and settings.tenants else tenant  # the operator sees every tenant
        book = await ledger(running.service.budgets, scope)
        return book.model_dump_json(exclude_none=True)

    @mcp.resource("wan://skill", name="skill", title="The wan-video skill", mime_type="text/markdown")
    def skill_resource() -> str:
        """How to choose a mode, write prompts, and get past the API's limits (the wan-video Agent Skill)."""
        from wan_mcp import skill  # noqa: PLC0415 (the skill's tables read the catalog: at the read)

        return (skill.skill_dir() / "SKILL.md").read_text(encoding="utf-8")

    @mcp.resource(
        "wan://skill/{reference}",
        name="skill-reference",
        title="A wan-video skill reference",
        mime_type="text/markdown",
    )
    def skill_reference(reference: str) -> str:
        """One reference of the wan-video skill (models, recipes, prompting, vace, errors…)."""
        from wan_mcp import skill  # noqa: PLC0415 (the skill's tables read the catalog: at the read)

        found = skill.references().get(reference.removesuffix(".md"))
        if found is None:
            raise ResourceNotFoundError(f"no skill reference {reference!r}; there are {', '.join(skill.references())}")
        return found.read_text(encoding="utf-8")

    @mcp.prompt(title="Choose a Wan mode")
    def choose_mode(goal: str) -> str:
        """Pick the mode, model and arguments for what the user wants, then plan it with a dry run."""
        from wan_mcp import skill  # noqa: PLC0415 (the skill's tables read the catalog: at the read)

        return (
            f"The user wants: {goal}\n\n"
            "Choose the Wan mode and model for this with the table below (list_modes has every model). Ask for any "
            "image, video or audio the mode needs (a URL or a local file path: chat attachments do not reach this "
            "server). Then call submit_video with dry_run=true, tell the user the cost and the expected wait, and "
            "submit only once they agree.\n\n" + _section(skill.skill_dir() / "SKILL.md", "decisions")
        )

    @mcp.prompt(title="Plan a long video")
    def plan_long_video(description: str, total_seconds: int = 30) -> str:
        """Plan a video longer than one clip: shots, the chain of segments, total cost and wait, then assembly."""
        from wan_mcp import skill  # noqa: PLC0415 (the skill's tables read the catalog: at the read)

        recipes = skill.references().get("recipes")
        text = recipes.read_text(encoding="utf-8") if recipes else ""
        return (
            f"Plan a video of about {total_seconds} s: {description}\n\n"
            "Split it into shots, choose per shot the mode and duration, add up the billed seconds and the cost "
            "(submit_video with dry_run=true for each shot), tell the user the total and the wait, then generate "
            "shot after shot, polling each with poll_task. Never resubmit a shot whose call timed out: poll it.\n\n"
            + text
        )

    @mcp.prompt(title="Write a video prompt")
    def write_video_prompt(idea: str, mode: str = "t2v") -> str:
        """Turn an idea into a Wan prompt (subject, scene, motion, camera, lighting, style) within the limits."""
        from wan_mcp import skill  # noqa: PLC0415 (the skill's tables read the catalog: at the read)

        prompting = skill.references().get("prompting")
        text = prompting.read_text(encoding="utf-8") if prompting else ""
        return f"Write a {mode} prompt for: {idea}\n\nKeep within the model's prompt limit (list_modes).\n\n{text}"


def _section(path: Path, name: str) -> str:
    """A generated section of a skill file (the catalog table), or the whole file when it has none."""
    text = path.read_text(encoding="utf-8")
    start, end = f"<!-- BEGIN generated: {name} -->", f"<!-- END generated: {name} -->"
    if start in text and end in text:
        return text.split(start, 1)[1].split(end, 1)[0].strip()
    return text
