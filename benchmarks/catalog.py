"""Benchmark of the Sharespine catalog full refresh against its two baselines (issue 5).

50,000 products x 4 variants (about 2 % broken) served by the Sharespine sandbox over real
HTTP in its own process, synced into a fresh PostgreSQL database by another process:

- (a) fetch baseline: fetch and parse every page, nothing else;
- (b) upsert baseline: the same rows, prepared in memory, bulk upserted with psycopg COPY into
  staging tables plus INSERT ... ON CONFLICT;
- the full refresh (fetch, validate, quarantine, bulk upsert, fetching overlapped with
  writing), then an unchanged second refresh, with the syncing process's peak RSS.

Each phase runs in its own process, so peak RSS belongs to the sync alone. The last line
printed is the issue's JSON object. `--products N` makes it smaller.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SEED = 42
BROKEN_SHARE = 0.02
VARIANTS = 4
PAGE_SIZE = 500
ADMIN_URL = os.environ.get(
    "WESTGEAR_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _proc_cpu_s(pid: str) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(sandbox_pid: int | None) -> dict[str, float]:
    """CPU seconds used so far by this process, the sandbox, PostgreSQL and the machine.

    Linux only (empty elsewhere). PostgreSQL is every process whose command line starts with
    "postgres", so the figure assumes nothing else uses the server meanwhile.
    """
    if not Path("/proc/stat").exists():
        return {}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    snap = {"sync": usage.ru_utime + usage.ru_stime, "sandbox": 0.0, "postgresql": 0.0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            seconds = _proc_cpu_s(entry.name)
        except OSError:  # the process ended meanwhile
            continue
        if sandbox_pid is not None and entry.name == str(sandbox_pid):
            snap["sandbox"] += seconds
        elif command.startswith(b"postgres"):
            snap["postgresql"] += seconds
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]
    snap["machine_busy"] = (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK")
    snap["machine_idle"] = idle / os.sysconf("SC_CLK_TCK")
    return snap


def cpu_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: round(after[name] - before[name], 2) for name in before}


# ------------------------------------------------------------------ processes


def serve(products: int) -> None:
    """Serve the sandbox until stdin closes (runs in its own process)."""
    from westgear_desk.sandbox import sharespine
    from westgear_desk.sandbox.common import SandboxConfig
    from westgear_desk.sandbox.server import SandboxServer

    config = SandboxConfig(seed=SEED, products=products, broken_share=BROKEN_SHARE)
    # Prerendered: a page then costs the sandbox ~1 ms instead of ~170 ms of one of the two
    # cores the sync is measured on (a remote Sharespine costs the desk no CPU at all).
    system = sharespine.build(config, variants_per_product=VARIANTS, prerender=True)
    with SandboxServer(system.app) as server:
        print(json.dumps({"url": server.url, "credentials": system.credentials}), flush=True)
        sys.stdin.read()


def child(phase: str, hub: dict[str, Any], db_url: str, products: int) -> dict[str, Any]:
    """Run one phase in a fresh interpreter; its last stdout line is the result."""
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--phase",
            phase,
            "--products",
            str(products),
            "--hub",
            json.dumps(hub),
            "--db",
            db_url,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"phase {phase} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@contextmanager
def sandbox_process(products: int) -> Iterator[dict[str, Any]]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--products", str(products)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdin is not None
    try:
        yield {**json.loads(proc.stdout.readline()), "pid": proc.pid}
    finally:
        proc.stdin.close()
        proc.wait(30)


@contextmanager
def fresh_database() -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    from westgear_desk.db.migrate import upgrade

    name = f"wgbench_catalog_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()


# ------------------------------------------------------------------ phases


def _client(hub: dict[str, Any]) -> Any:
    from westgear_desk.integrations.sharespine.client import (
        SharespineClient,
        SharespineCredentials,
    )

    c = hub["credentials"]
    creds = SharespineCredentials(c["tenant"], c["connection_id"], c["username"], c["password"])
    return SharespineClient(hub["url"], creds, timeout=120)


def phase_fetch(hub: dict[str, Any]) -> dict[str, Any]:
    """Baseline (a): every page fetched and parsed, nothing else."""
    with _client(hub) as client:
        started = time.perf_counter()
        variants = 0
        for page in client.iter_product_pages(page_size=PAGE_SIZE):
            variants += sum(len(r.model.variants) for r in page.records if r.model is not None)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "variants": variants, "peak_rss_mb": peak_rss_mb()}


def phase_sync(hub: dict[str, Any], db_url: str) -> dict[str, Any]:
    """The full refresh, then an unchanged second one, into PostgreSQL."""
    from westgear_desk.db.session import create_engine_for, make_session_factory
    from westgear_desk.sync.sharespine.catalog import full_refresh
    from westgear_desk.sync.sharespine.catalog_pages import CatalogSync

    engine = create_engine_for(db_url)
    factory = make_session_factory(engine)
    with _client(hub) as client:
        sync = CatalogSync(factory, client, page_size=PAGE_SIZE)
        cpu_before = cpu_snapshot(hub.get("pid"))
        started = time.perf_counter()
        first = full_refresh(sync, None)
        full_s = time.perf_counter() - started
        full_cpu = cpu_used(cpu_before, cpu_snapshot(hub.get("pid")))
        started = time.perf_counter()
        second = full_refresh(sync, None)
        unchanged_s = time.perf_counter() - started
    engine.dispose()
    return {
        "full_s": full_s,
        "full_refresh_cpu_s": full_cpu,  # where the 2 cores went during the first refresh
        "unchanged_s": unchanged_s,
        "first": first.to_dict(),
        "second": second.to_dict(),
        "peak_rss_mb": peak_rss_mb(),
        # the check process of each refresh (the larger of the two)
        "check_process_peak_rss_mb": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
        ),
    }


def rows_in_memory(products: int) -> list[Any]:
    """The rows the sync writes, built from the same seed without HTTP (valid products only)."""
    from westgear_desk.domain.catalog_rules import validate_product
    from westgear_desk.integrations.sharespine.contract import Product
    from westgear_desk.sandbox.seed import generate_product
    from westgear_desk.sandbox.sharespine.payloads import product_json
    from westgear_desk.sync.sharespine.catalog_mapping import product_rows

    rows: list[Any] = []
    skus: set[str] = set()
    for index in range(products):
        model = Product.model_validate(
            product_json(generate_product(SEED, index, BROKEN_SHARE, VARIANTS))
        )
        mine = {v.sku for v in model.variants}
        if not validate_product(model) and not model.unknown_fields() and not mine & skus:
            rows.append(product_rows(model))
            skus |= {s for s in mine if s}
    return rows


def phase_upsert(db_url: str, products: int) -> dict[str, Any]:
    """Baseline (b): the same rows from memory, COPY into staging + INSERT ... ON CONFLICT."""
    from westgear_desk.db.session import create_engine_for, make_session_factory
    from westgear_desk.sync.sharespine.catalog_copy import copy_children, copy_products
    from westgear_desk.sync.sharespine.catalog_upsert import CodeIds

    rows = rows_in_memory(products)
    engine = create_engine_for(db_url)
    factory = make_session_factory(engine)
    codes = CodeIds()
    count = 0
    cpu_before = cpu_snapshot(None)
    started = time.perf_counter()
    for start in range(0, len(rows), PAGE_SIZE):
        batch = rows[start : start + PAGE_SIZE]
        with factory.begin() as session:
            brands = codes.brand_ids(session, [r.brand for r in batch if r.brand])
            lists = codes.price_list_ids(
                session,
                sorted(
                    {
                        (p["price_list"], p["currency"])
                        for r in batch
                        for v in r.variants
                        for p in v.prices
                    }
                ),
            )
            places = codes.location_ids(
                session, {c for r in batch for v in r.variants for c, _ in v.stock}
            )
            copied = copy_products(session, batch, brands)
            children = copy_children(session, batch, copied.ids, lists, places, copied.inserted)
            count += len(children)
    seconds = time.perf_counter() - started
    cpu = cpu_used(cpu_before, cpu_snapshot(None))
    engine.dispose()
    return {
        "seconds": seconds,
        "cpu_s": cpu,
        "variants_written": count,
        "peak_rss_mb": peak_rss_mb(),
    }


# ------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--phase", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--hub", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--db", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.products)
        return
    if args.phase:
        hub = json.loads(args.hub) if args.hub else {}
        result = {
            "fetch": lambda: phase_fetch(hub),
            "sync": lambda: phase_sync(hub, args.db),
            "upsert": lambda: phase_upsert(args.db, args.products),
        }[args.phase]()
        print(json.dumps(result))
        return
    with sandbox_process(args.products) as hub:
        fetch = child("fetch", hub, "", args.products)
        print(json.dumps({"phase": "fetch_baseline", **fetch}), flush=True)
        with fresh_database() as url:
            upsert = child("upsert", hub, url, args.products)
        print(json.dumps({"phase": "upsert_baseline", **upsert}), flush=True)
        with fresh_database() as url:
            sync = child("sync", hub, url, args.products)
        print(json.dumps({"phase": "sync", **sync}), flush=True)
    slower = max(fetch["seconds"], upsert["seconds"])
    print(
        json.dumps(
            {
                "variants": fetch["variants"],
                "full_refresh_s": round(sync["full_s"], 2),
                "fetch_baseline_s": round(fetch["seconds"], 2),
                "upsert_baseline_s": round(upsert["seconds"], 2),
                "ratio_vs_slower_baseline": round(sync["full_s"] / slower, 3),
                "unchanged_refresh_s": round(sync["unchanged_s"], 2),
                "unchanged_ratio": round(sync["unchanged_s"] / sync["full_s"], 3),
                "peak_rss_mb": sync["peak_rss_mb"],
            }
        )
    )


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main()
