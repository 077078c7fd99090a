"""SQLite ceiling for a Ticketbooth booking: one writer process, Python's sqlite3, one booking per transaction.

Same settings as the service (WAL, synchronous=FULL, foreign_keys=ON, BEGIN IMMEDIATE) and the same statements
a booking commits: GA = INSERT order, one multi-row INSERT of 1-4 tickets, the conditional UPDATE of the tier;
seated = INSERT order, INSERT OR IGNORE of 1-4 adjacent seats from a large pool. As in
../shared/reference/ceilings-mariadb-sqlite.md, more writer processes add nothing on SQLite, so this is one.

usage: python sqlite_ceiling.py DBFILE ga|seated DURATION_S JSON_PARAMS   -> prints one JSON line
"""

import json
import random
import sqlite3
import sys
import time
from datetime import UTC, datetime


def main() -> None:
    path, exp, duration, params = sys.argv[1], sys.argv[2], float(sys.argv[3]), json.loads(sys.argv[4])
    conn = sqlite3.connect(path, isolation_level=None, timeout=10)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=10000", "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}")
    p = params
    lat: list[float] = []
    done = failed = 0
    end = time.perf_counter() + duration
    while True:
        t0 = time.perf_counter()
        if t0 >= end:
            break
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
        user = random.randint(p["umin"], p["umax"])
        n = random.randint(1, 4)
        conn.execute("BEGIN IMMEDIATE")
        try:
            if exp == "ga":
                cur = conn.execute(
                    'INSERT INTO "order" (user_id, event_date_id, customer_name, total_tickets, amount_cents,'
                    " payment_source, created_at) VALUES (?, ?, 'Bench Buyer', ?, ?, 'card', ?)",
                    (user, p["ga"], n, n * p["price"], now))
                order_id = cur.lastrowid
                conn.execute(
                    "INSERT INTO ticket (order_id, user_id, event_id, event_date_id, ticket_type_id, seat_id,"
                    " price_cents, to_name, created_at) VALUES " + ",".join(["(?, ?, ?, ?, ?, NULL, ?, 'Bench Buyer', ?)"] * n),
                    [v for _ in range(n) for v in (order_id, user, p["ev"], p["ga"], p["tier"], p["price"], now)])
                cur = conn.execute(
                    "UPDATE event_date_has_ticket_type SET remaining_tickets = remaining_tickets - ?"
                    " WHERE event_date_id = ? AND ticket_type_id = ? AND remaining_tickets >= ?",
                    (n, p["ga"], p["tier"], n))
                if cur.rowcount != 1:
                    raise RuntimeError("sold out")
            else:
                first = random.randint(p["smin"], p["smax"] - 3)
                cur = conn.execute(
                    'INSERT INTO "order" (user_id, event_date_id, customer_name, total_tickets, amount_cents,'
                    " payment_source, created_at) VALUES (?, ?, 'Bench Buyer', ?, ?, 'card', ?)",
                    (user, p["sd"], n, n * p["price"], now))
                order_id = cur.lastrowid
                conn.execute(
                    "INSERT OR IGNORE INTO ticket (order_id, user_id, event_id, event_date_id, ticket_type_id, seat_id,"
                    " price_cents, to_name, created_at) VALUES "
                    + ",".join(["(?, ?, ?, ?, ?, ?, ?, 'Bench Buyer', ?)"] * n),
                    [v for i in range(n) for v in (order_id, user, p["sev"], p["sd"], p["tier"], first + i, p["price"], now)])
            conn.execute("COMMIT")
            done += 1
        except Exception:
            conn.execute("ROLLBACK")
            failed += 1
        lat.append(time.perf_counter() - t0)
    elapsed = duration
    lat.sort()

    def pct(q: float) -> float:
        return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else 0.0

    print(json.dumps({"tps": done / elapsed, "transactions": done, "failed": failed, "clients": 1,
                      "lat_avg_ms": (sum(lat) / len(lat) * 1000) if lat else 0, "lat_p50_ms": pct(0.5),
                      "lat_p99_ms": pct(0.99)}))


if __name__ == "__main__":
    main()
