"""The account-wide query limit across replicas: the busiest 1 s of task queries sent through PostgresStore.query_slot.

REPLICAS processes (each a PostgresStore with its own pool, as a replica is) run CALLERS callers between them for
SECONDS: each caller waits for its turn (`wait_for_query_turn`: reserve a slot, sleep until it, give it up if
woken late), notes the wall time it would send its query at, and goes again at once. The busiest sliding 1-second
window over every send time of every replica is compared with the bound, floor(QPS) + 1 (DashScope allows 20 task
queries per second per account).

Needs a PostgreSQL server: WAN_MCP_TEST_DATABASE_URL, else postgres@127.0.0.1:5432 (a fresh database, dropped
after).

    python bench/query_slots.py [--replicas 4] [--callers 32] [--seconds 10] [--qps 15]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import anyio
import psycopg
from psycopg import sql

from wan_mcp.journal import wait_for_query_turn
from wan_mcp.journal.postgres import PostgresStore


async def replica(url: str, callers: int, seconds: float, qps: float) -> list[float]:
    """One replica's send times."""
    store = await PostgresStore.connect(url, max_connections=min(callers, 8))
    sent: list[float] = []
    end = time.time() + seconds

    async def caller() -> None:
        while time.time() < end:
            await wait_for_query_turn(store, per_second=qps)
            sent.append(time.time())

    async with anyio.create_task_group() as group:
        for _ in range(callers):
            group.start_soon(caller)
    await store.close()
    return sent


def busiest_second(times: list[float]) -> tuple[int, float]:
    """The most send times in any closed 1 s window, and where it starts."""
    ordered = sorted(times)
    best, at, last = 0, 0.0, 0
    for first, start in enumerate(ordered):
        last = max(last, first)
        while last + 1 < len(ordered) and ordered[last + 1] <= start + 1.0:
            last += 1
        if last - first + 1 > best:
            best, at = last - first + 1, start
    return best, at


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replicas", type=int, default=4)
    parser.add_argument("--callers", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--qps", type=float, default=15.0)
    parser.add_argument("--replica-of", help=argparse.SUPPRESS)  # internal: run one replica against this URL
    args = parser.parse_args()
    if args.replica_of:
        times = anyio.run(replica, args.replica_of, args.callers, args.seconds, args.qps)
        sys.stdout.write(json.dumps(times))
        return
    server = os.environ.get("WAN_MCP_TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    name = f"wan_mcp_bench_{secrets.token_hex(4)}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
    try:
        anyio.run(lambda: PostgresStore.connect(url))  # the schema, before the replicas race for slots
        per_replica = max(1, args.callers // args.replicas)
        command = [sys.executable, __file__, "--replica-of", url, "--callers", str(per_replica)]
        command += ["--seconds", str(args.seconds), "--qps", str(args.qps)]
        replicas = [subprocess.Popen(command, stdout=subprocess.PIPE) for _ in range(args.replicas)]
        times = [t for process in replicas for t in json.loads(process.communicate()[0])]
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    busiest, _ = busiest_second(times)
    span = max(times) - min(times)
    bound = math.floor(args.qps) + 1
    print(f"{args.replicas} replicas × {per_replica} callers for {args.seconds:g} s at WAN_MCP_QUERY_QPS={args.qps:g}")
    print(f"queries sent: {len(times)} over {span:.2f} s ({len(times) / span:.2f}/s)")
    print(f"busiest 1 s window: {busiest} queries (bound floor(qps) + 1 = {bound}; DashScope's limit 20)")
    print("PASS" if busiest <= bound else "FAIL")


if __name__ == "__main__":
    main()
