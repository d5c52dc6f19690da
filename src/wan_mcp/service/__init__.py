"""The use-cases over the journal and the DashScope client, in plain Python types.

`jobs` (plan, submit, poll and wait, list, cancel), `tracking` (one watcher per job), `delivery` (saving a video
once), `reconcile` (a lost submit), `uploads` (local files), `recovery` (after a restart or damage), `chains` (long
videos and extensions) and `studio` (frames and merges of finished videos). `WanService.open(settings)` is the way
in: a running service whose jobs are followed in the background.
"""

from __future__ import annotations

from wan_mcp.service.base import MAX_WAIT_SECONDS, Deps, ProgressFn
from wan_mcp.service.jobs import WanService, request_hash

__all__ = ["MAX_WAIT_SECONDS", "Deps", "ProgressFn", "WanService", "request_hash"]
