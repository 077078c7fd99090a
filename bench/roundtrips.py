"""Where a request's time goes, counted exactly: database round trips, pool checkouts, pre-pings, transactions and
CPU per request, for a booking (GA and seated), GET /api/events and an availability, in-process (no HTTP server,
no load): the app is driven through httpx's ASGI transport, and SQLAlchemy events count what reaches the driver.

usage: bench/run-roundtrips [--db sqlite|postgresql|mariadb] [--code REV] [--n 30] [--cprofile]
(or .venv/bin/python bench/roundtrips.py ...). Uses and drops its own tb_bench_rt_* database.
"""

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import secrets
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402  (also puts the code under test, --code REV, on sys.path)

import httpx  # noqa: E402
from sqlalchemy import event  # noqa: E402


def seed(db) -> tuple:
    tokens, _, _ = h.seed_users(db, 20, "rt")
    h.seed_catalog(db, 20)
    ga = h.seed_ga_show(db, 1_000_000, "rt-ga")
    arena = h.seed_arena(db, 2000)
    seated = h.seed_seated_show(db, arena, "rt-seated")
    return tokens, ga, arena, seated


async def measure(args, db, tokens, ga, arena, seated) -> dict:
    from ticketbooth.app import create_app
    from ticketbooth.config import Settings

    if True:
        settings = Settings(database_url=db.async_url, web_dist=Path("/nonexistent"), rate_limit_enabled=False)
        app = create_app(settings)
        counts: Counter = Counter()
        statements: Counter = Counter()
        async with app.router.lifespan_context(app):
            engine = app.state.db.engine.sync_engine

            @event.listens_for(engine, "before_cursor_execute")
            def _stmt(conn, cursor, statement, params, context, executemany):
                counts["statements"] += 1
                statements[" ".join(statement.split()[:3])[:60]] += 1

            @event.listens_for(engine.pool, "checkout")
            def _checkout(*_a):
                counts["pool_checkouts"] += 1

            for name in ("begin", "commit", "rollback"):
                event.listen(engine, name, lambda *_a, _n=name: counts.__setitem__(_n, counts[_n] + 1))
            original_ping = engine.dialect.do_ping

            def _ping(dbapi_conn):
                counts["pre_pings"] += 1
                return original_ping(dbapi_conn)

            engine.dialect.do_ping = _ping
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                seat_ids = iter(range(arena["seat_min"], arena["seat_max"] + 1))

                def ga_booking(i):
                    return client.post("/api/bookings", headers={"Authorization": f"Bearer {tokens[i % len(tokens)]}"},
                                       json={"eventDateId": ga["date_id"], "customerName": "Bench Buyer",
                                             "paymentSource": "card", "tiers": [{"ticketTypeId": 3, "quantity": 2}]})

                def seated_booking(i):
                    seats = [{"seatId": next(seat_ids)} for _ in range(2)]
                    return client.post("/api/bookings", headers={"Authorization": f"Bearer {tokens[i % len(tokens)]}"},
                                       json={"eventDateId": seated["date_id"], "customerName": "Bench Buyer",
                                             "paymentSource": "card", "seats": seats})

                def sold_out(i):  # a 409: ask for more than the VIP tier holds... within the order limit
                    return client.post("/api/bookings", headers={"Authorization": f"Bearer {tokens[i % len(tokens)]}"},
                                       json={"eventDateId": ga["date_id"], "customerName": "Bench Buyer",
                                             "paymentSource": "card", "tiers": [{"ticketTypeId": 1, "quantity": 10}]})

                def taken_seats(i):  # a 409: the show's first two seats, sold by the first seated booking
                    seats = [{"seatId": arena["seat_min"]}, {"seatId": arena["seat_min"] + 1}]
                    return client.post("/api/bookings", headers={"Authorization": f"Bearer {tokens[i % len(tokens)]}"},
                                       json={"eventDateId": seated["date_id"], "customerName": "Bench Buyer",
                                             "paymentSource": "card", "seats": seats})

                kinds = {
                    "POST /api/bookings (GA, 2 tickets)": (ga_booking, 201),
                    "POST /api/bookings (seated, 2 seats)": (seated_booking, 201),
                    "POST /api/bookings (seated, 2 taken seats)": (taken_seats, 409),
                    "GET /api/events": (lambda i: client.get("/api/events"), 200),
                    f"GET availability ({arena['seats']}-seat show)":
                        (lambda i: client.get(f"/api/event-dates/{seated['date_id']}/availability"), 200),
                }
                out = {}
                profiler = cProfile.Profile() if args.cprofile else None
                for label, (fn, expect) in kinds.items():
                    for i in range(3):  # warm the statement caches and the pool
                        await fn(i)
                    counts.clear()
                    statements.clear()
                    cpu0, wall0 = time.process_time(), time.perf_counter()
                    if profiler and label.startswith("POST /api/bookings (GA"):
                        profiler.enable()
                    for i in range(args.n):
                        r = await fn(i)
                        assert r.status_code == expect, (label, r.status_code, r.text[:300])
                    if profiler:
                        profiler.disable()
                    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
                    out[label] = {
                        **{k: round(v / args.n, 2) for k, v in sorted(counts.items())},
                        "cpu_ms": round(1000 * cpu / args.n, 2), "wall_ms": round(1000 * wall / args.n, 2),
                        "statements_by_kind": {k: round(v / args.n, 2) for k, v in statements.most_common()},
                    }
                if profiler:
                    s = io.StringIO()
                    pstats.Stats(profiler, stream=s).sort_stats("cumulative").print_stats(45)
                    out["cprofile_ga_booking"] = s.getvalue()
        return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=("sqlite", "postgresql", "mariadb"), default="postgresql")
    p.add_argument("--code", help="git revision to measure (see bench/run --code)")
    p.add_argument("--n", type=int, default=30, help="requests of each kind")
    p.add_argument("--cprofile", action="store_true", help="also print a cProfile of the GA bookings")
    args = p.parse_args()
    db = h.create_db(args.db, f"tb_bench_rt_{secrets.token_hex(3)}")
    try:
        seeded = seed(db)
        with h.bench_lock():
            out = asyncio.run(measure(args, db, *seeded))
    finally:
        db.close()
    prof = out.pop("cprofile_ga_booking", None)
    print(json.dumps({"db": args.db, "code": h.CODE_DESC, "per_request": out}, indent=1))
    if prof:
        print(prof)


if __name__ == "__main__":
    main()
