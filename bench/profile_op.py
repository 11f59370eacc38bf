"""Profile one benchmark operation: where its time goes, in Python and in PostgreSQL.

    .venv/bin/python bench/profile_op.py dashboard_staff [--repeat 5] [--explain-ms 5]

Runs the operation (keys of `bench/run.py`'s OPS) on the benchmark database under cProfile and
prints the functions with the most cumulative time, then each SQL query of one request with its
duration, and `EXPLAIN ANALYZE` of those slower than `--explain-ms`.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import run  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("op")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--explain-ms", type=float, default=5.0)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    run.setup_django(os.environ.get("BENCH_DATABASE_URL", run.DEFAULT_URL))

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    op = next(o for o in run.OPS if o.key == args.op)
    world = run.make_world(args.repeat + 2)
    client = Client()
    if op.persona:
        run.login(client, getattr(world, op.persona))
    run.request_once(client, op.url(world, args.repeat + 1))  # warm-up

    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for i in range(args.repeat):
        run.request_once(client, op.url(world, i))
    profiler.disable()
    elapsed = (time.perf_counter() - started) * 1000 / args.repeat
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
    print(f"== {op.key}: {elapsed:.1f} ms per request (under cProfile)\n")
    print(out.getvalue())

    spec = op.url(world, args.repeat) if op.kind in ("write", "pdf_first") else op.url(world, 0)
    method, path, data, headers = spec
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        if method == "get":
            client.get(path, headers=headers)
        else:
            client.post(path, data, headers=headers)
    print(f"== {len(captured.captured_queries)} queries")
    slow = []
    for query in captured.captured_queries:
        ms = float(query["time"]) * 1000
        print(f"{ms:8.2f} ms  {query['sql'][:150]}")
        if ms >= args.explain_ms and query["sql"].lstrip().upper().startswith("SELECT"):
            slow.append(query["sql"])
    for sql in slow:
        print("\n== EXPLAIN ANALYZE", sql[:300])
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN ANALYZE " + sql)
            print("\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
