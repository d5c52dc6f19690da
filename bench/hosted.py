"""Several PostgreSQL-backed `wan-mcp serve` replicas, several tenants, one replica SIGKILLed mid-way: jobs lost,
duplicate creates and downloads, cross-tenant reads, the busiest second of status queries (DashScope allows 20 per
account), the takeover time and the memory per replica.

    python bench/hosted.py [--replicas 3] [--jobs 12] [--speed 100] [--database-url postgresql://…]

Without --database-url it makes a fresh database on postgresql://postgres@127.0.0.1:5432 and drops it afterwards.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import hosted_harness  # the harness lives with the tests that use it too

SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=12)
    parser.add_argument("--speed", type=float, default=100.0)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    name = None
    url = args.database_url
    if url is None:
        name = "wan_mcp_bench_" + secrets.token_hex(4)
        with psycopg.connect(SERVER, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        url = SERVER.rsplit("/", 1)[0] + "/" + name
    try:
        with tempfile.TemporaryDirectory(prefix="wan-mcp-hosted-") as folder:
            figures = hosted_harness.run(url, Path(folder), replicas=args.replicas, jobs=args.jobs, speed=args.speed)
        print(figures.table())
    finally:
        if name is not None:
            with psycopg.connect(SERVER, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
