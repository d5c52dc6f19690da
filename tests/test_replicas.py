"""Hosted on several replicas sharing one PostgreSQL journal: one account, several tenants, a replica killed
mid-way — no job lost or paid twice, no download twice, no tenant reading another's job, the account's query limit
held across replicas, and the killed replica's jobs taken over within 30 s."""

from __future__ import annotations

from pathlib import Path

import pytest

import hosted_harness


@pytest.mark.hosted
def test_replicas_share_every_job_and_survive_a_kill(postgres_url: str, tmp_path: Path) -> None:
    """12 jobs from 3 tenants round-robin over 3 replicas, the first replica SIGKILLed after 6 submits."""
    figures = hosted_harness.run(postgres_url, tmp_path, replicas=3, jobs=12, speed=100.0)
    print("\n" + figures.table())
    assert (figures.delivered, figures.lost) == (12, 0)
    assert figures.duplicate_creates == 0 and figures.duplicate_downloads == 0
    assert figures.cross_tenant_attempts > 0 and figures.cross_tenant_reads == 0
    assert figures.busiest_query_second <= 20 and figures.throttled == 0
    assert figures.takeover_seconds is not None and figures.takeover_seconds <= 30
