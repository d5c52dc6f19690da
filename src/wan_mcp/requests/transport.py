"""Step 6 of planning: how each local file and data: URI reaches DashScope — inline, or uploaded first."""

from __future__ import annotations

from wan_mcp.catalog import REGIONS
from wan_mcp.requests.draft import Draft
from wan_mcp.requests.plan import INLINE_MAX_BYTES


def decide_transport(draft: Draft) -> None:
    """Mark sources to upload (regions with temporary storage) or to inline; refuse what can reach neither way."""
    region = REGIONS[draft.region]
    for name, source in draft.sources.items():
        if source.kind not in ("data", "local"):
            continue
        limits = draft.limits.get(name)
        inline_ok = bool(limits and limits.data_uri)
        if source.kind == "data" and inline_ok:
            continue
        if region.uploads:
            draft.to_upload.add(name)
            continue
        size = source.info.size_bytes if source.info else None
        if source.kind == "local" and inline_ok and size is not None and size <= INLINE_MAX_BYTES:
            draft.to_inline.add(name)
            continue
        what = "data: URI" if source.kind == "data" else "file"
        draft.problems.append(
            draft.problem(
                name,
                "no_upload_in_region",
                f"{region.title} offers no temporary storage for files, and {draft.model.id} takes no inline "
                f"{what} for {name.split('[', maxsplit=1)[0]}",
                "give a public https URL to the file (or use a region with uploads: "
                f"{', '.join(r.id for r in REGIONS.values() if r.uploads)})",
            )
        )
    if draft.to_upload and region.uploads_caution:
        draft.cautions.append(
            f"Uploads in {region.title}: the newest docs offer temporary storage here; an older copy "
            f"({region.uploads_caution}) did not. If the upload is refused, give a public https URL instead."
        )
