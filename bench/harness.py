"""Ticketbooth flash-sale benchmark harness (issue 5). Run it as `bench/run`; `bench/run --help` lists the options.

One run, for one database backend:
  1. creates a fresh database `tb_bench_<id>` (and `tb_bench_<id>_ceil` for the ceiling) on the local server, or a
     SQLite file under var/bench/, and migrates both to the current schema;
  2. seeds users with login tokens and a small catalog directly in the database (ticketbooth.db.tables);
  3. measures the database's own ceiling for the same booking SQL (pgbench / sysbench + stored procedures /
     a one-writer Python sqlite3 driver) in the ceiling database, before the server is started;
  4. starts `ticketbooth serve --workers N --no-seed` (or uses --target), and for every scenario and connection
     count seeds a fresh show, warms up, and drives load with wrk + bench/lua/ticketbooth.lua under
     `flock /tmp/bench.lock`, sampling the CPU of wrk, the server and the database, and the server's peak RSS;
  5. checks the invariants of the show after every run, prints one table, writes JSON to bench/results/;
  6. stops everything it started and drops its databases (try/finally).
`bench/run report` aggregates the JSON files (medians per key) and rewrites the generated part of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import platform
import re
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from datetime import timedelta, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
RESULTS = BENCH / "results"
VAR = REPO / "var" / "bench"
LUA = BENCH / "lua" / "ticketbooth.lua"
VENV_BIN = Path(sys.executable).parent
LOCK_PATH = "/tmp/bench.lock"



def _code_under_test(argv: list[str]) -> tuple[Path, str]:
    """`--code REV` measures a committed revision (exported with `git archive` to var/bench/code-<sha>/) instead
    of the working tree, which other people may be editing while a baseline runs."""
    rev = None
    for i, a in enumerate(argv):
        if a == "--code" and i + 1 < len(argv):
            rev = argv[i + 1]
        elif a.startswith("--code="):
            rev = a.split("=", 1)[1]
    if not rev:
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=REPO, capture_output=True,
                               text=True).stdout.strip()
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO, capture_output=True,
                              text=True).stdout.strip()
        return REPO, f"working tree (HEAD {head}{', src/ modified' if dirty else ''})"
    sha = subprocess.run(["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout.strip()
    target = VAR / f"code-{sha[:12]}"
    if not (target / "src").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", sha, "src"], cwd=REPO, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target, f"commit {sha[:12]}"


CODE_DIR, CODE_DESC = _code_under_test(sys.argv[1:])
sys.path.insert(0, str(CODE_DIR / "src"))
from ticketbooth.accounts.security import token_digest  # noqa: E402
from ticketbooth.db import tables as t  # noqa: E402
from ticketbooth.db.migrate import upgrade  # noqa: E402
from ticketbooth.kit import utcnow  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MY_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/mysql"
ALL_SCENARIOS = ("ga-hot", "ga-1m", "sellout", "seated", "seated-map", "seated-pick", "browse", "mix")
DEFAULT_SCENARIOS = {
    "postgresql": "ga-hot,ga-1m,sellout,seated,seated-map,seated-pick,browse,mix",
    "mariadb": "ga-hot,seated,seated-map,seated-pick,browse",
    "sqlite": "ga-hot,seated,seated-map,seated-pick,browse",
}
SEATED_SCENARIOS = ("seated", "seated-map", "seated-pick")
BOOKING_SCENARIOS = {"ga-hot", "ga-1m", "sellout", *SEATED_SCENARIOS, "mix"}
GA, VIP, FRONT_ROW = 3, 1, 2
GA_PRICE = 5_000


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------- databases

class BenchDB:
    """A database the harness seeds and checks with a synchronous engine; the server gets `async_url`."""

    def __init__(self, backend: str, async_url: str, sync_url: str, drop=None):
        self.backend, self.async_url, self.sync_url, self._drop = backend, async_url, sync_url, drop
        self.engine = sa.create_engine(sync_url, pool_size=2, max_overflow=2)
        self.q = self.engine.dialect.identifier_preparer.quote  # quote("order") per dialect

    @property
    def name(self) -> str:
        return make_url(self.sync_url).database or ""

    def close(self) -> None:
        self.engine.dispose()
        if self._drop:
            self._drop()
            self._drop = None


def sync_url_for(async_url: str) -> str:
    url = make_url(async_url)
    driver = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql", "mariadb": "mysql+pymysql",
              "sqlite": "sqlite"}[url.get_backend_name()]
    return url.set(drivername=driver).render_as_string(hide_password=False)


def backend_of(url: str) -> str:
    name = make_url(url).get_backend_name()
    return {"mysql": "mariadb"}.get(name, name)


def create_db(backend: str, name: str, *, server_url: str | None = None) -> BenchDB:
    """A fresh, migrated database. server_url (an existing database's URL) picks the server; default local."""
    if backend == "sqlite":
        VAR.mkdir(parents=True, exist_ok=True)
        path = VAR / f"{name}.db"

        def _drop() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

        _drop()
        db = BenchDB(backend, f"sqlite+aiosqlite:///{path}", f"sqlite:///{path}", _drop)
    else:
        if backend == "postgresql":
            admin_url = PG_ADMIN if server_url is None else sync_url_for(server_url)
            admin_url = make_url(admin_url).set(database="postgres")
            create, drop = f'CREATE DATABASE "{name}"', f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
            async_driver = "postgresql+asyncpg"
        else:
            admin_url = MY_ADMIN if server_url is None else sync_url_for(server_url)
            admin_url = make_url(admin_url).set(database="mysql")
            create, drop = f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4", f"DROP DATABASE IF EXISTS `{name}`"
            async_driver = "mysql+asyncmy"
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        with admin.connect() as conn:
            conn.exec_driver_sql(create)

        def _drop() -> None:
            with admin.connect() as conn:
                conn.exec_driver_sql(drop)
            admin.dispose()

        base = admin_url.set(database=name)
        db = BenchDB(backend, base.set(drivername=async_driver).render_as_string(hide_password=False),
                     base.render_as_string(hide_password=False), _drop)
    try:
        upgrade(db.async_url)
    except BaseException:
        db.close()
        raise
    return db


def numbers(db: BenchDB, n: int) -> str:
    """A FROM item `g` with one column `n` = 1..N, per dialect."""
    if db.backend == "postgresql":
        return f"generate_series(1, {int(n)}) AS g(n)"
    if db.backend == "mariadb":
        return f"(SELECT seq AS n FROM seq_1_to_{int(n)}) AS g"
    return (f"(WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {int(n)}) "
            f"SELECT n FROM c) AS g")


# ----------------------------------------------------------------------------------------------- seeding

_PASSWORD_HASH = None


def password_hash() -> str:
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        from argon2 import PasswordHasher
        _PASSWORD_HASH = PasswordHasher().hash("bench-pass-123")
    return _PASSWORD_HASH


def seed_users(db: BenchDB, count: int, tag: str) -> tuple[list[str], int, int]:
    """`count` customers, each with a valid login token (only the SHA-256 is stored, as the service does)."""
    now = utcnow()
    users = [{"username": f"bench-{tag}-{i}", "email": f"bench-{tag}-{i}@example.com", "first_name": "Bench",
              "last_name": f"User {i}", "password_hash": password_hash(), "created_at": now, "updated_at": now}
             for i in range(count)]
    tokens = [secrets.token_urlsafe(32) for _ in range(count)]
    with db.engine.begin() as conn:
        for chunk in range(0, count, 1000):
            conn.execute(sa.insert(t.user), users[chunk:chunk + 1000])
        ids = dict(conn.execute(sa.select(t.user.c.username, t.user.c.id)
                                .where(t.user.c.username.like(f"bench-{tag}-%"))).all())
        user_ids = [ids[u["username"]] for u in users]
        customer = conn.execute(sa.select(t.role.c.id).where(t.role.c.name == "customer")).scalar_one()
        for chunk in range(0, count, 1000):
            conn.execute(sa.insert(t.role_has_user),
                         [{"role_id": customer, "user_id": uid} for uid in user_ids[chunk:chunk + 1000]])
            conn.execute(sa.insert(t.auth_token), [
                {"token_hash": token_digest(tok), "user_id": uid, "created_at": now,
                 "expires_at": now + timedelta(days=2)}
                for tok, uid in zip(tokens[chunk:chunk + 1000], user_ids[chunk:chunk + 1000])])
    return tokens, min(user_ids), max(user_ids)


_show_counter = iter(range(1, 1_000_000))


def _event_venue(conn, capacity: int, label: str) -> tuple[int, int]:
    n = next(_show_counter)
    event_id = conn.execute(sa.insert(t.event).values(
        slug=f"bench-{label}-{n}-{secrets.token_hex(3)}", title=f"Bench {label} {n}",
        description="A benchmark show")).inserted_primary_key[0]
    venue_id = conn.execute(sa.insert(t.venue).values(
        name=f"Bench Arena {n}", description="", capacity=capacity, venue_type="arena",
        accessible_wheelchair=True)).inserted_primary_key[0]
    return event_id, venue_id


def seed_ga_show(db: BenchDB, capacity: int, label: str) -> dict:
    """A GA show: the hot tier GA (id 3) with `capacity` tickets, plus a small VIP tier nobody books."""
    with db.engine.begin() as conn:
        event_id, venue_id = _event_venue(conn, capacity + 100, label)
        date_id = conn.execute(sa.insert(t.event_date).values(
            event_id=event_id, id_venue=venue_id, total_tickets=capacity + 100,
            event_date=(utcnow() + timedelta(days=30)).replace(microsecond=0),
            seating_mode="GA")).inserted_primary_key[0]
        conn.execute(sa.insert(t.event_date_has_ticket_type), [
            {"event_date_id": date_id, "ticket_type_id": GA, "max_quantity": capacity, "remaining_tickets": capacity,
             "price_cents": GA_PRICE, "number_people_included": 1},
            {"event_date_id": date_id, "ticket_type_id": VIP, "max_quantity": 100, "remaining_tickets": 100,
             "price_cents": 20_000, "number_people_included": 1},
        ])
    return {"kind": "GA", "date_id": date_id, "event_id": event_id, "tier": GA, "price": GA_PRICE,
            "capacity": capacity}


def seed_arena(db: BenchDB, seats: int) -> dict:
    """A venue with `seats` seats: sections of 40 rows x 50 seats (60,000 = 30 sections)."""
    per_section = 2000
    with db.engine.begin() as conn:
        _, venue_id = _event_venue(conn, seats, "arena")
        rows = []
        for i in range(seats):
            s, r = divmod(i, per_section)
            r, n = divmod(r, 50)
            rows.append({"venue_id": venue_id, "section": f"S{s + 1:02d}", "row": str(r + 1), "number": n + 1,
                         "is_accessible": n == 0})
        for chunk in range(0, seats, 2000):
            conn.execute(sa.insert(t.seat).values(rows[chunk:chunk + 2000]))
        lo, hi = conn.execute(sa.select(sa.func.min(t.seat.c.id), sa.func.max(t.seat.c.id))
                              .where(t.seat.c.venue_id == venue_id)).one()
    assert hi - lo + 1 == seats, "seat ids are expected to be contiguous"
    return {"venue_id": venue_id, "seat_min": lo, "seat_max": hi, "seats": seats}


def seed_seated_show(db: BenchDB, arena: dict, label: str) -> dict:
    """A SEATED show on the arena: every seat on sale; sections 1-3 VIP, 4-10 FRONT_ROW, the rest GA."""
    inv, s = t.event_date_has_seat, t.seat
    with db.engine.begin() as conn:
        event_id = conn.execute(sa.insert(t.event).values(
            slug=f"bench-{label}-{next(_show_counter)}-{secrets.token_hex(3)}", title=f"Bench {label}",
            description="A benchmark show")).inserted_primary_key[0]
        date_id = conn.execute(sa.insert(t.event_date).values(
            event_id=event_id, id_venue=arena["venue_id"], total_tickets=arena["seats"],
            event_date=(utcnow() + timedelta(days=30)).replace(microsecond=0),
            seating_mode="SEATED")).inserted_primary_key[0]
        tier = sa.case((s.c.section <= "S03", VIP), (s.c.section <= "S10", FRONT_ROW), else_=GA)
        price = sa.case((s.c.section <= "S03", 15_000), (s.c.section <= "S10", 9_000), else_=GA_PRICE)
        conn.execute(sa.insert(inv).from_select(
            ["event_date_id", "seat_id", "ticket_type_id", "price_cents"],
            sa.select(sa.literal(date_id), s.c.id, tier, price).where(s.c.venue_id == arena["venue_id"])))
    return {"kind": "SEATED", "date_id": date_id, "event_id": event_id, "seat_min": arena["seat_min"],
            "seat_max": arena["seat_max"], "seats": arena["seats"]}


def seed_catalog(db: BenchDB, events: int) -> None:
    """Other events, so GET /api/events returns a realistic list (each: one GA date with three tiers)."""
    with db.engine.begin() as conn:
        for i in range(events):
            event_id, venue_id = _event_venue(conn, 5000, "catalog")
            date_id = conn.execute(sa.insert(t.event_date).values(
                event_id=event_id, id_venue=venue_id, total_tickets=5000,
                event_date=(utcnow() + timedelta(days=10 + i)).replace(microsecond=0),
                seating_mode="GA")).inserted_primary_key[0]
            conn.execute(sa.insert(t.event_date_has_ticket_type), [
                {"event_date_id": date_id, "ticket_type_id": tid, "max_quantity": cap, "remaining_tickets": cap,
                 "price_cents": price, "number_people_included": 1}
                for tid, cap, price in ((VIP, 200, 20_000), (FRONT_ROW, 800, 9_000), (GA, 4000, 5_000))])


def drop_booking_foreign_keys(db: BenchDB) -> int:
    """--without-foreign-keys: drop every foreign key of `ticket` and `"order"`, the rows a booking inserts (PostgreSQL
    checks each key of each inserted row with a query of its own), so that a run measures what those checks cost.
    Only ever in a bench database; how many were dropped."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if db.backend == "postgresql":
            keys = conn.exec_driver_sql(
                "SELECT c.relname, k.conname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
                " WHERE k.contype = 'f' AND c.relname IN ('ticket', 'order')").all()
            drop = "ALTER TABLE {} DROP CONSTRAINT {}"
        else:
            keys = conn.exec_driver_sql(
                "SELECT TABLE_NAME, CONSTRAINT_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS"
                " WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME IN ('ticket', 'order')").all()
            drop = "ALTER TABLE {} DROP FOREIGN KEY {}"
        quote = db.engine.dialect.identifier_preparer.quote
        for table, name in keys:
            conn.exec_driver_sql(drop.format(quote(table), quote(name)))
    return len(keys)


def presell(db: BenchDB, show: dict, tickets: int, umin: int, umax: int) -> float:
    """Bulk-sell `tickets` GA tickets (orders of 4) directly in the database, decrementing the inventory."""
    t0 = time.monotonic()
    orders = tickets // 4
    o, now = db.q("order"), utcnow()
    with db.engine.begin() as conn:
        conn.execute(sa.text(
            f"INSERT INTO {o} (user_id, event_date_id, customer_name, total_tickets, amount_cents, payment_source,"
            f" created_at) SELECT {umin} + (g.n % {umax - umin + 1}), {show['date_id']}, 'Presold', 4,"
            f" {4 * show['price']}, 'card', :now FROM {numbers(db, orders)}"), {"now": now})
        conn.execute(sa.text(
            f"INSERT INTO ticket (order_id, user_id, event_id, event_date_id, ticket_type_id, seat_id, price_cents,"
            f" to_name, created_at) SELECT o.id, o.user_id, {show['event_id']}, {show['date_id']}, {show['tier']},"
            f" NULL, {show['price']}, 'Presold', o.created_at FROM {o} o CROSS JOIN {numbers(db, 4)}"
            f" WHERE o.event_date_id = {show['date_id']} AND o.customer_name = 'Presold'"))
        conn.execute(sa.update(t.event_date_has_ticket_type).where(
            t.event_date_has_ticket_type.c.event_date_id == show["date_id"],
            t.event_date_has_ticket_type.c.ticket_type_id == show["tier"]).values(
            remaining_tickets=t.event_date_has_ticket_type.c.remaining_tickets - orders * 4))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if db.backend == "postgresql":
            conn.exec_driver_sql('VACUUM ANALYZE "order", ticket, event_date_has_ticket_type')
            # The load's ~0.5 GB of WAL starts a checkpoint that is spread over minutes: the run at 1 M sold then
            # paid its full-page writes while the run at 0 sold paid none. Finish it before measuring.
            conn.exec_driver_sql("CHECKPOINT")
        elif db.backend == "mariadb":
            conn.exec_driver_sql("ANALYZE TABLE `order`, ticket")
        else:
            conn.exec_driver_sql("ANALYZE")
    return time.monotonic() - t0


# ----------------------------------------------------------------------------------------------- invariants

def counts_for_show(db: BenchDB, date_id: int) -> dict:
    with db.engine.connect() as conn:
        orders = conn.execute(sa.select(sa.func.count()).select_from(t.order)
                              .where(t.order.c.event_date_id == date_id)).scalar_one()
        tickets = conn.execute(sa.select(sa.func.count()).select_from(t.ticket)
                               .where(t.ticket.c.event_date_id == date_id)).scalar_one()
    return {"orders": orders, "tickets": tickets}


def check_invariants(db: BenchDB, show: dict, before: dict, wrk: dict, conns: int, *, exact: bool) -> dict:
    """sold + remaining == capacity per tier (GA); no seat twice and every seat of the show (SEATED);
    every order holds exactly total_tickets tickets; orders == 201s and tickets == tickets in 201 bodies.
    When wrk stops at the end of its duration it abandons up to one request per connection; the server still
    completes them, so without `exact` up to `conns` more orders than 201s are accepted and reported."""
    d = show["date_id"]
    problems: list[str] = []
    o, tk = t.order, t.ticket
    with db.engine.connect() as conn:
        if show["kind"] == "GA":
            inv = t.event_date_has_ticket_type
            sold = dict(conn.execute(sa.select(tk.c.ticket_type_id, sa.func.count()).where(tk.c.event_date_id == d)
                                     .group_by(tk.c.ticket_type_id)).all())
            for tier, cap, rem in conn.execute(sa.select(inv.c.ticket_type_id, inv.c.max_quantity,
                                                         inv.c.remaining_tickets).where(inv.c.event_date_id == d)):
                if sold.get(tier, 0) + rem != cap:
                    problems.append(f"tier {tier}: sold {sold.get(tier, 0)} + remaining {rem} != capacity {cap}")
        else:
            twice = conn.execute(sa.select(tk.c.seat_id).where(tk.c.event_date_id == d, tk.c.seat_id.is_not(None))
                                 .group_by(tk.c.seat_id).having(sa.func.count() > 1)).all()
            if twice:
                problems.append(f"{len(twice)} seats sold twice")
            foreign = conn.execute(sa.select(sa.func.count()).select_from(tk).where(
                tk.c.event_date_id == d, ~sa.exists().where(t.event_date_has_seat.c.event_date_id == d,
                                                            t.event_date_has_seat.c.seat_id == tk.c.seat_id))
            ).scalar_one()
            if foreign:
                problems.append(f"{foreign} tickets for seats not on sale")
        per_order = sa.select(sa.func.count()).select_from(tk).where(tk.c.order_id == o.c.id).scalar_subquery()
        bad_orders = conn.execute(sa.select(sa.func.count()).select_from(o).where(
            o.c.event_date_id == d, o.c.total_tickets != per_order)).scalar_one()
        if bad_orders:
            problems.append(f"{bad_orders} orders whose ticket rows differ from total_tickets")
    after = counts_for_show(db, d)
    new_orders, new_tickets = after["orders"] - before["orders"], after["tickets"] - before["tickets"]
    ok201 = wrk["statuses"].get("201", 0)
    extra_orders, extra_tickets = new_orders - ok201, new_tickets - wrk.get("tickets_in_201", 0)
    # Requests that timed out in wrk may still have booked: they are allowed too, and reported.
    limit = (0 if exact else conns) + wrk["errors"]["timeout"] + wrk["errors"]["read"] + wrk["errors"]["write"]
    if wrk.get("sent"):
        limit = max(limit, wrk["sent"] - sum(wrk["statuses"].values()))
    if not 0 <= extra_orders <= limit:
        problems.append(f"orders {new_orders} vs 201 responses {ok201}")
    if not 0 <= extra_tickets <= 4 * limit or (extra_orders == 0 and extra_tickets != 0):
        problems.append(f"tickets {new_tickets} vs tickets in 201 bodies {wrk.get('tickets_in_201', 0)}")
    return {"ok": not problems, "problems": problems, "orders": new_orders, "tickets": new_tickets,
            "responses_201": ok201, "in_flight_at_stop": extra_orders}


# ----------------------------------------------------------------------------------------------- processes

def _raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))


def _server_preexec() -> None:
    """More file descriptors, and SIGTERM to the server if the harness dies without cleaning up (e.g. SIGKILL)."""
    _raise_nofile()
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _proc_children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    return children


def descendants(pid: int) -> list[int]:
    tree, out, todo = _proc_children(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(tree.get(p, []))
    return out


def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except OSError:
        return 0


def pids_by_name(names: tuple[str, ...]) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                comm = Path(f"/proc/{entry}/comm").read_text().strip()
            except OSError:
                continue
            if comm in names:
                out.append(int(entry))
    return out


def machine_ticks() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields[:8]), idle


def busy_pct(seconds: float = 1.0) -> float:
    a = machine_ticks()
    time.sleep(seconds)
    b = machine_ticks()
    total = b[0] - a[0]
    return 100.0 * (total - (b[1] - a[1])) / total if total else 0.0


def vm_hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


# Settings the harness gives the server. All wrk connections come from 127.0.0.1 and a few thousand users, so
# per-IP and per-user booking rate limits (when the code under test has them) would measure the limiter, not the
# booking path: they are switched off. Everything else (auth, validation, durability) stays at its defaults.
SERVER_ENV = {"TICKETBOOTH_RATE_LIMIT_ENABLED": "false"}


class Server:
    """`ticketbooth serve --workers N --no-seed` in its own process group, stopped by that group's id."""

    def __init__(self, database_url: str, workers: int, port: int | None = None, extra_env: dict | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        VAR.mkdir(parents=True, exist_ok=True)
        self.log_path = VAR / f"server-{self.port}.log"
        self._log = open(self.log_path, "wb")
        env = {**os.environ, "TICKETBOOTH_DATABASE_URL": database_url, "TICKETBOOTH_WEB_DIST": "/nonexistent",
               "TICKETBOOTH_LOG_LEVEL": "warning", **SERVER_ENV, **(extra_env or {}),
               "PYTHONPATH": str(CODE_DIR / "src")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ticketbooth", "serve", "--workers", str(workers), "--no-seed", "--host",
             "127.0.0.1", "--port", str(self.port)],
            env=env, cwd=REPO, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=_server_preexec)
        self.workers = workers

    def wait_ready(self, timeout: float = 60) -> None:
        if not wait_answering(self.process, f"{self.url}/health", self.workers, timeout):
            why = "exited early" if self.process.poll() is not None else f"not ready after {timeout}s"
            raise RuntimeError(f"server {why}:\n{self.log_path.read_text()[-3000:]}")

    def pids(self) -> list[int]:
        return descendants(self.process.pid) if self.process.poll() is None else []

    def worker_pids(self) -> list[int]:
        pids = self.pids()
        # With --workers > 1 uvicorn's supervisor (the first pid) forks the workers (and a resource tracker).
        return [p for p in pids if p != self.process.pid] if self.workers > 1 else pids

    def stop(self) -> None:
        stop_group(self.process)
        self._log.close()


def wait_answering(process: subprocess.Popen, url: str, workers: int, timeout: float) -> bool:
    """Until `url` answers 200 and, with several workers, uvicorn's supervisor has forked them all (it answers once
    its first worker is up); False if the process exits or `timeout` s pass first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if _answers(url) and (workers == 1 or len(descendants(process.pid)) > workers):
            return True
        time.sleep(0.2)
    return False


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def stop_group(process: subprocess.Popen) -> None:
    """SIGTERM to the process group a server was started in (start_new_session), SIGKILL after 20 s."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def bench_lock():
    """The same lock as `flock /tmp/bench.lock`, so timed runs of different engineers never overlap."""
    with open(LOCK_PATH, "a") as fh:
        t0 = time.monotonic()
        fcntl.flock(fh, fcntl.LOCK_EX)
        waited = time.monotonic() - t0
        if waited > 1:
            log(f"waited {waited:.0f}s for {LOCK_PATH}")
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def wait_quiet(max_wait: float, threshold: float = 25.0) -> float:
    """Wait (at most max_wait s) until the box is under `threshold` % busy; returns the last busy figure."""
    deadline = time.monotonic() + max_wait
    busy = busy_pct(1.0)
    while busy > threshold and time.monotonic() < deadline:
        busy = busy_pct(2.0)
    return busy


def run_wrk(url: str, conns: int, duration: float, env: dict, timeout_s: float, threads: int = 2) -> tuple[dict, float]:
    """Run wrk; returns (the Lua script's JSON, wrk's CPU seconds from wait4's rusage)."""
    out = VAR / f"wrk-{os.getpid()}-{secrets.token_hex(4)}.json"
    tokens = env["TB_TOKENS"]
    full_env = {**os.environ, **{k: str(v) for k, v in env.items()}, "TB_OUT": str(out), "TB_TOKENS": tokens}
    cmd = ["wrk", "-t", str(min(threads, conns)), "-c", str(conns), "-d", f"{max(1, round(duration))}s",
           "--timeout", f"{timeout_s:g}s", "-s", str(LUA), url]
    proc = subprocess.Popen(cmd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, preexec_fn=_server_preexec)
    try:
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    text = proc.stdout.read().decode(errors="replace")
    proc.stdout.close()
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{text}")
    result = json.loads(out.read_text())
    out.unlink()
    return result, usage.ru_utime + usage.ru_stime


# ----------------------------------------------------------------------------------------------- ceilings

def run_ceilings(db: BenchDB, scenarios: set[str], duration: float, clients: list[int], quick: bool,
                 pool_seats: int) -> dict:
    """The database's own ceiling for the same booking work, on the same server, in a separate database."""
    want = set()
    if scenarios & {"ga-hot", "ga-1m", "sellout", "mix"}:
        want.add("ga")
    if scenarios & set(SEATED_SCENARIOS):
        want.add("seated")
    if not want:
        return {}
    tokens, umin, umax = seed_users(db, 100, "ceil")
    ga = seed_ga_show(db, 100_000_000, "ceil-ga")
    with db.engine.begin() as conn:
        event_id, venue_id = _event_venue(conn, pool_seats, "ceil-pool")
        conn.execute(sa.text(
            f"INSERT INTO seat (venue_id, section, {db.q('row')}, number, is_accessible) "
            f"SELECT {venue_id}, 'P', '1', g.n, {'false' if db.backend == 'postgresql' else '0'} "
            f"FROM {numbers(db, pool_seats)}"))
        smin, smax = conn.execute(sa.select(sa.func.min(t.seat.c.id), sa.func.max(t.seat.c.id))
                                  .where(t.seat.c.venue_id == venue_id)).one()
        sd = conn.execute(sa.insert(t.event_date).values(
            event_id=event_id, id_venue=venue_id, total_tickets=pool_seats,
            event_date=(utcnow() + timedelta(days=30)).replace(microsecond=0), seating_mode="SEATED")
        ).inserted_primary_key[0]
        # On sale for the date, as the service's seats are: ticket's key on (event_date_id, seat_id) checks it.
        conn.execute(sa.text(
            f"INSERT INTO event_date_has_seat (event_date_id, seat_id, ticket_type_id, price_cents) "
            f"SELECT {sd}, id, {GA}, {GA_PRICE} FROM seat WHERE venue_id = {venue_id}"))
    params = {"ga": ga["date_id"], "ev": ga["event_id"], "tier": GA, "price": GA_PRICE, "sd": sd, "sev": event_id,
              "smin": smin, "smax": smax, "umin": umin, "umax": umax}
    if db.backend == "mariadb":
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            for stmt in (BENCH / "ceiling" / "mariadb_procs.sql").read_text().split("\n$$\n"):
                body = "\n".join(line for line in stmt.splitlines() if not line.startswith("--")).strip()
                if body:
                    cur.execute(body)
            raw.commit()
        finally:
            raw.close()
    results: dict = {}
    for exp in sorted(want):
        runs = []
        for c in ([1] if db.backend == "sqlite" else clients):
            with bench_lock():
                busy = busy_pct(1.0)
                r = _ceiling_once(db, exp, c, duration, params)
            r["busy_before_pct"] = round(busy, 1)
            log(f"ceiling {db.backend} {exp} clients={r['clients']}: {r['tps']:.0f} tps")
            runs.append(r)
        results[exp] = {"runs": runs, "best_tps": max(r["tps"] for r in runs),
                        "best_clients": max(runs, key=lambda r: r["tps"])["clients"],
                        "tool": {"postgresql": "pgbench", "mariadb": "sysbench", "sqlite": "python sqlite3"}[db.backend],
                        "script": {"postgresql": f"bench/ceiling/pg_{exp}_cte.sql",
                                   "mariadb": "bench/ceiling/sysbench_ceiling.lua + mariadb_procs.sql",
                                   "sqlite": "bench/ceiling/sqlite_ceiling.py"}[db.backend]}
    return results


def http_ceiling(workers: int, duration: float, tokens_file: Path, conns: int = 64) -> dict:
    """What this box's HTTP stack does at all: plain FastAPI on uvicorn (bench/ceiling/plain_app.py), as many
    workers as the server, one small JSON GET per request, wrk at 64 connections. A booking costs more than that
    GET, so this is the ceiling of requests/s the server's share of the box could reach, measured in the same run."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "plain_app:app", "--app-dir", str(BENCH / "ceiling"), "--workers",
         str(workers), "--host", "127.0.0.1", "--port", str(port), "--loop", "uvloop", "--http", "httptools",
         "--no-access-log", "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, preexec_fn=_server_preexec)
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_answering(proc, f"{url}/plain", workers, 30):
            raise RuntimeError("the plain FastAPI app did not start")
        with bench_lock():
            busy = busy_pct(1.0)
            pids = descendants(proc.pid)
            s0, t0 = sum(map(cpu_ticks, pids)), time.monotonic()
            wrk, _ = run_wrk(url, conns, duration, {"TB_TOKENS": str(tokens_file), "TB_MODE": "plain"}, 30)
            server_cpu = (sum(map(cpu_ticks, pids)) - s0) / _HZ / (time.monotonic() - t0)
    finally:
        stop_group(proc)
    rps = wrk["requests"] / (wrk["duration_us"] / 1e6)
    log(f"ceiling http plain FastAPI GET, {workers} workers, c={conns}: {rps:.0f} req/s")
    return {"runs": [{"clients": conns, "tps": round(rps, 1), "server_cpu_pct": round(100 * server_cpu, 1),
                      "busy_before_pct": round(busy, 1)}],
            "best_tps": round(rps, 1), "best_clients": conns, "tool": "wrk",
            "work": f"plain FastAPI GET ({workers} uvicorn workers)", "script": "bench/ceiling/plain_app.py"}


def _ceiling_once(db: BenchDB, exp: str, clients: int, duration: float, p: dict) -> dict:
    dur = max(1, round(duration))
    url = make_url(db.sync_url)
    if db.backend == "postgresql":
        with db.engine.connect() as conn:
            used = conn.exec_driver_sql("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                                        ).scalar_one()
            maxc = int(conn.exec_driver_sql("SHOW max_connections").scalar_one())
        clients = max(1, min(clients, maxc - used - 8))
        script = BENCH / "ceiling" / f"pg_{exp}_cte.sql"
        cmd = ["pgbench", "-n", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U",
               url.username or "postgres", "-f", str(script), "-c", str(clients), "-j", "2", "-T", str(dur)]
        for k, v in p.items():
            cmd += ["-D", f"{k}={v}"]
        cmd.append(url.database)
        env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
        t0 = time.monotonic()
        cpu0 = _db_cpu(db)
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        elapsed, cpu = time.monotonic() - t0, _db_cpu(db) - cpu0
        if proc.returncode != 0:
            raise RuntimeError(f"pgbench failed: {proc.stderr[-2000:]}")
        tps = float(re.search(r"tps = ([\d.]+)", proc.stdout).group(1))
        lat = re.search(r"latency average = ([\d.]+) ms", proc.stdout)
        failed = re.search(r"number of failed transactions: (\d+)", proc.stdout)
        return {"clients": clients, "tps": tps, "lat_avg_ms": float(lat.group(1)) if lat else None,
                "failed": int(failed.group(1)) if failed else 0, "db_cpu_pct": round(100 * cpu / elapsed / _HZ, 1)}
    if db.backend == "mariadb":
        cmd = ["sysbench", str(BENCH / "ceiling" / "sysbench_ceiling.lua"), f"--exp={exp}",
               f"--mysql-host={url.host or '127.0.0.1'}", f"--mysql-port={url.port or 3306}",
               f"--mysql-user={url.username or 'root'}", f"--mysql-db={url.database}", f"--threads={clients}",
               f"--time={dur}", "--percentile=99", "--db-ps-mode=disable"]
        if url.password:
            cmd.append(f"--mysql-password={url.password}")
        cmd += [f"--{k}={v}" for k, v in p.items()] + ["run"]
        t0 = time.monotonic()
        cpu0 = _db_cpu(db)
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=BENCH / "ceiling")
        elapsed, cpu = time.monotonic() - t0, _db_cpu(db) - cpu0
        if proc.returncode != 0:
            raise RuntimeError(f"sysbench failed: {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        tps = float(re.search(r"transactions:\s+\d+\s+\(([\d.]+) per sec", proc.stdout).group(1))
        avg = re.search(r"avg:\s+([\d.]+)", proc.stdout)
        p99 = re.search(r"99th percentile:\s+([\d.]+)", proc.stdout)
        errors = re.search(r"ignored errors:\s+(\d+)", proc.stdout)
        return {"clients": clients, "tps": tps, "lat_avg_ms": float(avg.group(1)) if avg else None,
                "lat_p99_ms": float(p99.group(1)) if p99 else None, "failed": int(errors.group(1)) if errors else 0,
                "db_cpu_pct": round(100 * cpu / elapsed / _HZ, 1)}
    path = make_url(db.sync_url).database
    proc = subprocess.run([sys.executable, str(BENCH / "ceiling" / "sqlite_ceiling.py"), path, exp, str(dur),
                           json.dumps(p)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"sqlite ceiling failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


_HZ = os.sysconf("SC_CLK_TCK")
DB_PROCESS_NAMES = {"postgresql": ("postgres",), "mariadb": ("mariadbd", "mysqld")}


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _db_cpu(db: BenchDB) -> int:
    return sum(cpu_ticks(p) for p in pids_by_name(DB_PROCESS_NAMES.get(db.backend, ())))


# ----------------------------------------------------------------------------------------------- scenarios

class WaitSampler:
    """With --profile: what the run's database sessions are doing, sampled every 0.25 s (PostgreSQL:
    pg_stat_activity state + wait event; MariaDB: processlist command + state). Mean sessions per kind."""

    def __init__(self, db: BenchDB):
        self.db, self.samples, self.counts = db, 0, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        if self.db.backend == "sqlite":
            return
        eng = sa.create_engine(self.db.sync_url, poolclass=sa.NullPool)
        if self.db.backend == "postgresql":
            q = ("SELECT state || coalesce(' / ' || wait_event_type || ':' || wait_event, '') || "
                 "CASE WHEN state = 'idle in transaction' THEN ' after ' || split_part(ltrim(query), ' ', 1) ELSE '' END, "
                 "count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                 "GROUP BY 1")
        else:
            q = ("SELECT concat(command, ' / ', coalesce(nullif(state, ''), '-')), count(*) "
                 "FROM information_schema.processlist WHERE db = database() AND id <> connection_id() GROUP BY 1")
        with eng.connect() as conn:
            while not self._stop.wait(0.25):
                try:
                    rows = conn.exec_driver_sql(q).all()
                    conn.rollback()
                except Exception:
                    break
                self.samples += 1
                for kind, n in rows:
                    self.counts[kind] = self.counts.get(kind, 0) + n
        eng.dispose()

    def stop(self) -> dict | None:
        self._stop.set()
        self._thread.join(timeout=5)
        if not self.samples:
            return None
        return {k: round(v / self.samples, 1) for k, v in sorted(self.counts.items(), key=lambda kv: -kv[1])}


class SeatMapFeed:
    """What the buyers of `seated-map` see: the show's live availability stream (GET .../availability/stream, the
    stream the SPA's seat map follows), kept in a file of one byte per seat, "0" shown free and "1" taken, which
    the wrk threads re-read every TB_VIEW_REFRESH_S. The file is replaced whole, so a reader never sees half of it."""

    def __init__(self, url: str, show: dict, path: Path):
        import httpx
        self.path, self.seat_min = path, show["seat_min"]
        self.view = bytearray(b"1" * show["seats"])
        self.changes = 0
        self.arrivals: list[tuple[int, float]] = []  # (message id = newest change id in it, wall-clock arrival)
        self._stream_url = f"{url}/api/event-dates/{show['date_id']}/availability/stream"
        self._client = httpx.Client(timeout=httpx.Timeout(10, read=None))
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._follow, daemon=True)
        self._thread.start()
        if not self._ready.wait(30):
            self.close()
            raise RuntimeError(f"no snapshot from {self._stream_url} within 30 s: {self._error!r}")

    def _follow(self) -> None:
        try:
            with self._client.stream("GET", self._stream_url) as response:
                response.raise_for_status()
                data: list[str] = []
                message_id = None
                for line in response.iter_lines():
                    if line.startswith("data:"):
                        data.append(line[5:].lstrip())
                    elif line.startswith("id:"):
                        message_id = int(line[3:])
                    elif not line and data:
                        if self._apply(json.loads("\n".join(data))) and message_id is not None:
                            self.arrivals.append((message_id, time.time()))
                        data, message_id = [], None
        except BaseException as exc:  # closed by close(), or the stream failed: readers keep the last view
            self._error = exc

    def _apply(self, message: dict) -> bool:
        """Applies a snapshot or a change to the view; True for a change."""
        if message.get("type") == "snapshot":
            seats = [seat for section in message["sections"] for row in section["rows"] for seat in row["seats"]]
        elif message.get("type") == "change":
            seats = message["seats"]
            self.changes += 1
        else:
            return False
        for seat in seats:
            self.view[seat["seatId"] - self.seat_min] = ord("0") if seat["available"] else ord("1")
        tmp = self.path.with_suffix(".tmp")
        tmp.write_bytes(self.view)
        os.replace(tmp, self.path)
        self._ready.set()
        return message.get("type") == "change"

    def lag_ms(self, db: BenchDB) -> dict:
        """How long after its newest sale each change message reached the buyers' view: arrival minus that change
        row's created_at (the booking's clock, the same box), in ms."""
        if not self.arrivals:
            return {}
        arrived = dict(self.arrivals)
        with db.engine.connect() as conn:
            created = dict(conn.execute(sa.select(t.availability_change.c.id, t.availability_change.c.created_at)
                                        .where(t.availability_change.c.id.in_(list(arrived)))).all())
        lags = sorted(1000 * (arrived[i] - c.replace(tzinfo=c.tzinfo or timezone.utc).timestamp())
                      for i, c in created.items())
        return {"stream_lag_p50_ms": round(lags[len(lags) // 2], 1), "stream_lag_max_ms": round(lags[-1], 1)}

    def close(self) -> None:
        self._client.close()
        self._thread.join(timeout=5)
        self.path.unlink(missing_ok=True)


class Run:
    def __init__(self, args, db: BenchDB, url: str, server: Server | None, tokens_file: Path, users: tuple[int, int]):
        self.args, self.db, self.url, self.server, self.tokens_file, self.users = args, db, url, server, tokens_file, users
        self.records: list[dict] = []
        self.arena: dict | None = None
        self.extra_pids = [int(p) for p in (args.server_pids or "").split(",") if p]

    def server_pids(self) -> list[int]:
        return self.server.worker_pids() if self.server else self.extra_pids

    def all_server_pids(self) -> list[int]:
        return self.server.pids() if self.server else self.extra_pids

    def get_arena(self) -> dict:
        if self.arena is None:
            t0 = time.monotonic()
            self.arena = seed_arena(self.db, self.args.arena_seats)
            log(f"seeded a {self.args.arena_seats}-seat arena in {time.monotonic() - t0:.1f}s")
        return self.arena

    def measure(self, scenario: str, conns: int, env: dict, *, duration: float, timeout_s: float,
                warm_env: dict | None, show: dict | None, exact: bool = False, rep: int = 0, extra=None) -> dict:
        env = {"TB_TOKENS": str(self.tokens_file), **env}
        before = counts_for_show(self.db, show["date_id"]) if show else None
        busy = wait_quiet(self.args.wait_quiet) if self.args.wait_quiet else None
        with bench_lock():
            load_before = Path("/proc/loadavg").read_text().split()[:3]
            if busy is None:
                busy = busy_pct(0.5)
            if warm_env is not None and self.args.warmup > 0:
                run_wrk(self.url, conns, self.args.warmup, {"TB_TOKENS": str(self.tokens_file), **warm_env},
                        timeout_s)
            spids = self.server_pids()
            s0, d0, m0 = sum(map(cpu_ticks, spids)), self.db_ticks(), machine_ticks()
            spies = self.start_profiler(scenario, conns, spids, duration) if self.args.profile else []
            waits = WaitSampler(self.db) if self.args.profile else None
            t_start, wall0, own0 = utcnow(), time.monotonic(), _own_cpu_s()
            try:
                wrk, wrk_cpu = run_wrk(self.url, conns, duration, env, timeout_s)
            finally:
                db_waits = waits.stop() if waits else None
                for spy in spies:
                    try:
                        spy.wait(timeout=duration + 30)
                    except subprocess.TimeoutExpired:
                        os.killpg(spy.pid, signal.SIGTERM)
                        spy.wait()
            wall, own_cpu = time.monotonic() - wall0, _own_cpu_s() - own0
            s1, d1, m1 = sum(map(cpu_ticks, spids)), self.db_ticks(), machine_ticks()
        drain_s = self.drain(spids)  # the server finishes requests wrk abandoned (uvicorn does not cancel them)
        secs = wrk["duration_us"] / 1e6
        st = wrk["statuses"]
        fillers = wrk.get("fillers", 0)
        ok = st.get("201", 0)
        n2xx = sum(v for k, v in st.items() if k.startswith("2")) - fillers
        n409 = st.get("409", 0)
        n4xx = sum(v for k, v in st.items() if k.startswith("4")) - n409
        n5xx = sum(v for k, v in st.items() if k.startswith("5"))
        e = wrk["errors"]
        total_ticks = m1[0] - m0[0]
        rec = {
            "db": self.db.backend, "scenario": scenario, "conns": conns, "workers": self.args.workers, "rep": rep,
            "duration_s": round(secs, 2), "requests": wrk["requests"] - fillers,
            "rps": round((wrk["requests"] - fillers) / secs, 1),
            "bookings_ok": ok, "bookings_per_s": round(ok / secs, 1),
            "tickets_per_s": round(wrk.get("tickets_in_201", 0) / secs, 1),
            "ok_by_second": wrk.get("ok_by_second", []),
            "p50_ms": wrk["latency_us"]["p50"] / 1000, "p95_ms": wrk["latency_us"]["p95"] / 1000,
            "p99_ms": wrk["latency_us"]["p99"] / 1000, "max_ms": wrk["latency_us"]["max"] / 1000,
            "s2xx": n2xx, "s409": n409, "s4xx": n4xx, "s5xx": n5xx,
            "socket_errors": e["connect"] + e["read"] + e["write"], "wrk_timeouts": e["timeout"],
            # Requests sent but never answered before wrk stopped (wrk itself does not count these as timeouts).
            "unanswered": wrk.get("sent", 0) - sum(st.values()),
            "timeouts": wrk.get("sent", 0) - sum(st.values()) + e["timeout"],
            "statuses": st, "wrk_cpu_pct": round(100 * wrk_cpu / wall, 1),
            # The harness's own threads: the database sampler with --profile, and seated-map's seat map feed.
            "harness_cpu_pct": round(100 * own_cpu / wall, 1),
            "server_cpu_pct": round(100 * (s1 - s0) / _HZ / wall, 1) if spids else None,
            "db_cpu_pct": round(100 * sum(v - d0.get(p, 0) for p, v in d1.items()) / _HZ / wall, 1) if d1 else None,
            "machine_busy_pct": round(100 * (total_ticks - (m1[1] - m0[1])) / total_ticks, 1) if total_ticks else None,
            "busy_before_pct": round(busy, 1), "load_before": load_before,
            "rss_peak_mb": [round(v, 1) for v in (vm_hwm_mb(p) for p in self.all_server_pids()) if v is not None],
            "started_utc": t_start.isoformat(timespec="seconds"), "drain_s": drain_s,
            "last_ok_s": wrk.get("last_ok_s"),
        }
        if db_waits:
            rec["db_sessions"] = db_waits
            log(f"database sessions of the run (mean count by state / wait): {db_waits}")
        if exact and scenario == "sellout" and rec["requests"] < self.args.sellout_attempts:
            exact = False  # wrk's duration cap stopped it before every attempt was answered
        if show is not None and scenario != "browse":
            rec["invariant"] = check_invariants(self.db, show, before, wrk, conns, exact=exact)
            if scenario in SEATED_SCENARIOS:
                rec["conflict_rate"] = round(n409 / max(1, ok + n409), 3)
        if extra:
            rec.update(extra(rec, t_start))
        self.records.append(rec)
        inv = rec.get("invariant", {})
        log(f"{self.db.backend} {scenario} c={conns}: {rec['rps']:.0f} req/s, {rec['bookings_per_s']:.0f} ok/s, "
            f"p50 {rec['p50_ms']:.1f} ms, p99 {rec['p99_ms']:.1f} ms, 5xx {n5xx}, sock {rec['socket_errors']}, "
            f"timeouts {rec['timeouts']}, invariant {'ok' if inv.get('ok', True) else inv.get('problems')}")
        return rec

    def drain(self, pids: list[int], quiet_core: float = 0.1) -> float:
        """Wait until the server is idle (its workers use < 10% of a core over 1 s), at most --drain-max s, so the
        next run does not measure a server still busy with the previous run's abandoned requests."""
        t0 = time.monotonic()
        if not pids:
            time.sleep(2)
            return 2.0
        while time.monotonic() - t0 < self.args.drain_max:
            a = sum(map(cpu_ticks, pids))
            time.sleep(1)
            if (sum(map(cpu_ticks, pids)) - a) / _HZ < quiet_core:
                break
        took = round(time.monotonic() - t0, 1)
        if took > 5:
            log(f"server drained after {took}s")
        return took

    def start_profiler(self, scenario: str, conns: int, pids: list[int], duration: float) -> list:
        """py-spy record (sampling, collapsed stacks) of every server worker for the timed run; its overhead
        slows the server, so figures of a --profile run are not baseline figures."""
        spies = []
        for pid in pids:
            if "spawn_main" not in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace") \
                    and self.args.workers > 1:
                continue  # uvicorn's resource tracker
            out = RESULTS / f"profile-{time.strftime('%H%M%S')}-{self.db.backend}-{scenario}-{conns}-{pid}.txt"
            spies.append(subprocess.Popen(
                [str(VENV_BIN / "py-spy"), "record", "--pid", str(pid), "--format", "raw", "--rate", "200",
                 "--duration", str(max(1, round(duration))), "--nonblocking", "--output", str(out)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
            log(f"profiling pid {pid} -> {out}")
        return spies

    def db_ticks(self) -> dict[int, int]:
        """CPU ticks of every database server process (all of the server's backends, including other users')."""
        return {p: cpu_ticks(p) for p in pids_by_name(DB_PROCESS_NAMES.get(self.db.backend, ()))}

    def warm_ga(self) -> dict:
        show = seed_ga_show(self.db, 100_000_000, "warmup")
        return {"TB_MODE": "ga", "TB_GA_DATE": show["date_id"], "TB_GA_TIER": GA}

    # -- the scenarios
    def ga_hot(self, conns: int, rep: int) -> None:
        show = seed_ga_show(self.db, self.args.ga_capacity, "ga-hot")
        self.measure("ga-hot", conns, {"TB_MODE": "ga", "TB_GA_DATE": show["date_id"], "TB_GA_TIER": GA},
                     duration=self.args.duration, timeout_s=self.args.timeout, warm_env=self.warm_ga(), show=show,
                     rep=rep)

    def ga_1m(self, conns: int, rep: int) -> None:
        show = seed_ga_show(self.db, self.args.ga_capacity, "ga-1m")
        env = {"TB_MODE": "ga", "TB_GA_DATE": show["date_id"], "TB_GA_TIER": GA}
        first = self.measure("ga-1m@0", conns, env, duration=self.args.duration, timeout_s=self.args.timeout,
                             warm_env=self.warm_ga(), show=show, rep=rep)
        took = presell(self.db, show, self.args.presold, *self.users)
        log(f"pre-sold {self.args.presold} tickets in {took:.1f}s")
        second = self.measure(f"ga-1m@{_short(self.args.presold)}", conns, env, duration=self.args.duration,
                              timeout_s=self.args.timeout, warm_env=self.warm_ga(), show=show, rep=rep)
        # The box drifts by a fifth within minutes, and the bulk sale between the runs takes one or two: a fresh
        # show with nothing sold is measured after as well, and the run at 1 M sold is read against both.
        fresh = seed_ga_show(self.db, self.args.ga_capacity, "ga-1m-after")
        third = self.measure("ga-1m@0-after", conns, {**env, "TB_GA_DATE": fresh["date_id"]},
                             duration=self.args.duration, timeout_s=self.args.timeout, warm_env=self.warm_ga(),
                             show=fresh, rep=rep)
        second["presold"] = self.args.presold
        if first["p50_ms"] and third["p50_ms"]:
            second["p50_vs_0_sold"] = round(2 * second["p50_ms"] / (first["p50_ms"] + third["p50_ms"]), 3)
            second["p50_vs_0_sold_before"] = round(second["p50_ms"] / first["p50_ms"], 3)
            second["p50_vs_0_sold_after"] = round(second["p50_ms"] / third["p50_ms"], 3)

    def sellout(self, conns: int, rep: int) -> None:
        show = seed_ga_show(self.db, self.args.sellout_tickets, "sellout")
        quota = self.args.sellout_attempts // 2  # wrk runs 2 threads

        def extra(rec: dict, t_start) -> dict:
            with self.db.engine.connect() as conn:
                last = conn.execute(sa.select(sa.func.max(t.order.c.created_at))
                                    .where(t.order.c.event_date_id == show["date_id"])).scalar_one()
                rem = conn.execute(sa.select(t.event_date_has_ticket_type.c.remaining_tickets).where(
                    t.event_date_has_ticket_type.c.event_date_id == show["date_id"],
                    t.event_date_has_ticket_type.c.ticket_type_id == GA)).scalar_one()
            sold = self.args.sellout_tickets - rem
            out = {"sold": sold, "sold_out": rem == 0, "attempts_answered": rec["requests"],
                   "sellout_attempts": self.args.sellout_attempts,
                   "time_to_sell_out_s": round((last - t_start).total_seconds(), 2) if last and rem == 0 else None,
                   "attempts": rec["requests"]}
            if rem != 0 and rec["requests"] >= self.args.sellout_attempts:
                rec["invariant"]["ok"] = False  # every attempt answered, demand > supply, yet tickets left
                rec["invariant"]["problems"].append(f"not sold out: {rem} left")
            return out

        self.measure("sellout", conns, {"TB_MODE": "sellout", "TB_GA_DATE": show["date_id"], "TB_GA_TIER": GA,
                                        "TB_QUOTA": quota, "TB_TIMEOUT_S": self.args.timeout},
                     duration=self.args.sellout_max_s, timeout_s=self.args.timeout, warm_env=self.warm_ga(),
                     show=show, exact=True, rep=rep, extra=extra)

    def seated(self, conns: int, rep: int) -> None:
        show = seed_seated_show(self.db, self.get_arena(), "seated")
        self.measure("seated", conns, {"TB_MODE": "seated", "TB_SEAT_DATE": show["date_id"],
                                       "TB_SEAT_MIN": show["seat_min"], "TB_SEAT_MAX": show["seat_max"],
                                       "TB_HOT_SEATS": self.args.hot_seats},
                     duration=self.args.duration, timeout_s=self.args.timeout, warm_env=self.warm_ga(), show=show,
                     rep=rep)

    def seated_map(self, conns: int, rep: int) -> None:
        """The seated rush with buyers who pick from the seats their seat map shows free (SeatMapFeed); every
        thread's buyers leave once their map shows no seat left, so a run ends soon after the arena sells out."""
        show = seed_seated_show(self.db, self.get_arena(), "seated-map")
        view = VAR / f"seat-view-{show['date_id']}-{secrets.token_hex(3)}"
        feed = SeatMapFeed(self.url, show, view)

        def extra(rec: dict, t_start) -> dict:
            return {**self._up_to_last_sale(rec, show), "stream_changes": feed.changes, **feed.lag_ms(self.db)}

        try:
            self.measure("seated-map", conns, {"TB_MODE": "seated-map", "TB_SEAT_DATE": show["date_id"],
                                               "TB_SEAT_MIN": show["seat_min"], "TB_SEAT_MAX": show["seat_max"],
                                               "TB_HOT_SEATS": self.args.hot_seats, "TB_VIEW": view},
                         duration=self.args.duration, timeout_s=self.args.timeout, warm_env=self.warm_ga(),
                         show=show, rep=rep, extra=extra)
        finally:
            feed.close()

    def seated_pick(self, conns: int, rep: int) -> None:
        """The seated rush with buyers who let the box office pick their seats (`pickSeats`, 1-4 side by side, half
        of them in the front block's tier); each thread's buyers leave once told no seat is left."""
        show = seed_seated_show(self.db, self.get_arena(), "seated-pick")
        self.measure("seated-pick", conns, {"TB_MODE": "seated-pick", "TB_SEAT_DATE": show["date_id"],
                                            "TB_PICK_TIER": VIP},
                     duration=self.args.duration, timeout_s=self.args.timeout, warm_env=self.warm_ga(), show=show,
                     rep=rep, extra=lambda rec, t_start: self._up_to_last_sale(rec, show))

    def _up_to_last_sale(self, rec: dict, show: dict) -> dict:
        """Runs that end at the sell-out: rates up to the last sale, and the seats sold."""
        rush_s = rec["last_ok_s"] or rec["duration_s"]
        with self.db.engine.connect() as conn:
            sold = conn.execute(sa.select(sa.func.count()).select_from(t.ticket)
                                .where(t.ticket.c.event_date_id == show["date_id"])).scalar_one()
        rec["rps"] = round(rec["requests"] / rush_s, 1)
        rec["bookings_per_s"] = round(rec["bookings_ok"] / rush_s, 1)
        rec["tickets_per_s"] = round(rec["tickets_per_s"] * rec["duration_s"] / rush_s, 1)
        return {"rush_s": round(rush_s, 2), "seats_sold": sold, "seats": show["seats"]}

    def browse(self, conns: int, rep: int, *, avail: bool) -> None:
        env = {"TB_MODE": "events"}
        self.measure("browse-events", conns, env, duration=self.args.duration, timeout_s=self.args.timeout,
                     warm_env=env, show=None, rep=rep)
        if avail:
            show = seed_seated_show(self.db, self.get_arena(), "browse")
            # A third of the seats sold, so the seat map carries both states.
            with self.db.engine.begin() as conn:
                user = self.users[0]
                oid = conn.execute(sa.insert(t.order).values(
                    user_id=user, event_date_id=show["date_id"], customer_name="Presold", total_tickets=0,
                    amount_cents=0, payment_source="card", created_at=utcnow())).inserted_primary_key[0]
                sold = list(range(show["seat_min"], show["seat_max"] + 1, 3))
                for i in range(0, len(sold), 2000):
                    conn.execute(sa.insert(t.ticket), [
                        {"order_id": oid, "user_id": user, "event_id": show["event_id"], "event_date_id": show["date_id"],
                         "ticket_type_id": GA, "seat_id": s, "price_cents": 0, "to_name": "Presold",
                         "created_at": utcnow()} for s in sold[i:i + 2000]])
                conn.execute(sa.update(t.order).where(t.order.c.id == oid).values(total_tickets=len(sold)))
            c = min(conns, self.args.avail_connections)
            env = {"TB_MODE": "avail", "TB_AVAIL_DATE": show["date_id"]}
            self.measure("browse-avail", c, env, duration=self.args.duration, timeout_s=self.args.avail_timeout,
                         warm_env=None, show=None, rep=rep)

    def mix(self, conns: int, rep: int) -> None:
        show = seed_ga_show(self.db, self.args.ga_capacity, "mix")
        env = {"TB_MODE": "mix", "TB_GA_DATE": show["date_id"], "TB_GA_TIER": GA, "TB_BOOK_FRACTION": 0.1}
        self.measure("mix", conns, env, duration=self.args.duration, timeout_s=self.args.timeout,
                     warm_env=self.warm_ga(), show=show, rep=rep)


def _short(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


# ----------------------------------------------------------------------------------------------- reporting

def machine_info() -> dict:
    def sh(cmd: str) -> str:
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=10).stdout.strip()
        except Exception:
            return ""

    mem = next((l.split()[1] for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")), "0")
    return {
        "nproc": os.cpu_count(), "mem_gib": round(int(mem) / 1024 / 1024, 1),
        "cpu": sh("lscpu | sed -n 's/^Model name: *//p'"), "kernel": platform.release(),
        "disk": sh("df -h --output=source,fstype,size " + str(REPO) + " | tail -1"),
        "python": platform.python_version(),
        "packages": sh(f"{VENV_BIN}/pip list 2>/dev/null | grep -iE '^(fastapi|uvicorn|sqlalchemy|asyncpg|asyncmy|"
                       f"aiosqlite|uvloop|httptools|pydantic) '").replace("\n", "; "),
        "wrk": sh("wrk -v 2>&1 | head -1"), "pgbench": sh("pgbench --version"),
        "sysbench": sh("sysbench --version"),
    }


def db_settings(db: BenchDB) -> dict:
    with db.engine.connect() as conn:
        if db.backend == "postgresql":
            keys = ("server_version", "fsync", "synchronous_commit", "wal_sync_method", "max_connections",
                    "shared_buffers", "commit_delay")
            return {k: conn.exec_driver_sql(f"SHOW {k}").scalar_one() for k in keys}
        if db.backend == "mariadb":
            rows = conn.exec_driver_sql(
                "SHOW VARIABLES WHERE variable_name IN ('version', 'innodb_flush_log_at_trx_commit', 'log_bin',"
                " 'sync_binlog', 'innodb_buffer_pool_size', 'max_connections', 'transaction_isolation',"
                " 'innodb_flush_method')").all()
            return {k: v for k, v in rows}
        return {"sqlite_version": conn.exec_driver_sql("select sqlite_version()").scalar_one(),
                "journal_mode": "WAL", "synchronous": "FULL", "busy_timeout_ms": 10000, "begin": "BEGIN IMMEDIATE"}


def _med(values):
    vals = [v for v in values if isinstance(v, (int, float))]
    return statistics.median(vals) if vals else None


def _normalize(r: dict) -> dict:
    """Latencies of runs without a single answer are unknown, not 0. The first baseline runs flagged a sell-out cut
    short by the time cap as an invariant failure; it is not one."""
    if not r.get("requests"):  # nothing answered: wrk's empty histogram says 0 ms, which would read as fast
        for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms"):
            r[k] = None
    inv = r.get("invariant")
    if r["scenario"] == "sellout" and inv and r.get("requests", 0) < r.get("sellout_attempts", 50_000):
        inv["problems"] = [p for p in inv["problems"] if not p.startswith("not sold out")]
        inv["ok"] = not inv["problems"]
    return r


def aggregate(records: list[dict]) -> list[dict]:
    """Median of every numeric field per (db, scenario, conns, workers, foreign keys dropped), with the number of
    runs."""
    records = [_normalize(r) for r in records]
    groups: dict[tuple, list[dict]] = {}
    for r in records:
        key = (r["db"], r["scenario"], r["conns"], r["workers"], r.get("without_foreign_keys", False))
        groups.setdefault(key, []).append(r)
    out = []
    for key, rs in groups.items():
        agg = {"db": key[0], "scenario": key[1], "conns": key[2], "workers": key[3], "without_foreign_keys": key[4],
               "n": len(rs)}
        for field in ("rps", "bookings_per_s", "tickets_per_s", "p50_ms", "p95_ms", "p99_ms", "max_ms", "s2xx",
                      "s409", "s4xx", "s5xx", "socket_errors", "timeouts", "wrk_cpu_pct", "server_cpu_pct",
                      "db_cpu_pct", "machine_busy_pct", "busy_before_pct", "conflict_rate", "time_to_sell_out_s",
                      "sold", "p50_vs_0_sold", "p50_vs_0_sold_before", "p50_vs_0_sold_after", "in_flight", "ratio",
                      "http_ratio", "attempts_answered", "drain_s", "rush_s",
                      "seats_sold", "seats", "stream_changes", "stream_lag_p50_ms", "stream_lag_max_ms",
                      "harness_cpu_pct"):
            agg[field] = _med(r.get(field) for r in rs)
        agg["ok_by_window"] = _ok_by_window(rs)
        agg["rss_peak_mb"] = max((max(r["rss_peak_mb"]) for r in rs if r.get("rss_peak_mb")), default=None)
        agg["invariant_ok"] = all(r.get("invariant", {}).get("ok", True) for r in rs)
        agg["has_invariant"] = any("invariant" in r for r in rs)
        agg["problems"] = sorted({p for r in rs for p in r.get("invariant", {}).get("problems", [])})
        agg["in_flight"] = _med(r.get("invariant", {}).get("in_flight_at_stop") for r in rs)
        agg["ceiling"] = _med(r.get("ceiling_tps") for r in rs)
        agg["ratio"] = _med(r.get("ratio") for r in rs)
        agg["loads"] = sorted({r["load_before"][0] for r in rs if r.get("load_before")})
        out.append(agg)
    order = {s: i for i, s in enumerate(("ga-hot", "ga-1m@0", "ga-1m@1M", "ga-1m@0-after", "sellout", "seated",
                                         "seated-map", "seated-pick", "browse-events", "browse-avail", "mix"))}
    dbs = {"postgresql": 0, "mariadb": 1, "sqlite": 2}
    out.sort(key=lambda a: (dbs.get(a["db"], 9), order.get(a["scenario"], 50), a["scenario"], a["conns"]))
    return out


# Seconds of a seated run whose successes/s the table shows: the first, the middle and the last three (seated-map
# runs end when the arena is sold out, often before the last three).
_OK_WINDOWS = ((1, 3), (7, 9), (13, 15))


def _ok_by_window(rs: list[dict]) -> dict[tuple[int, int], float] | None:
    """Seated: successful bookings/s in each of _OK_WINDOWS, median over the runs (the arena fills as a run goes)."""
    if not all(r.get("scenario") in SEATED_SCENARIOS and r.get("ok_by_second") for r in rs):
        return None
    windows = [(a, b) for a, b in _OK_WINDOWS if all(len(r["ok_by_second"]) >= b for r in rs)]
    return {(a, b): _med(sum(r["ok_by_second"][a - 1:b]) / (b - a + 1) for r in rs) for a, b in windows} or None


def _f(v, fmt="{:,.0f}", none="–"):
    return none if v is None else fmt.format(v)


def render_table(aggs: list[dict]) -> str:
    head = ("| db | scenario | conns | n | req/s | ok bookings/s | p50 ms | p95 ms | p99 ms | 2xx | 409 | 4xx | 5xx "
            "| sock err | unanswered at stop | ceiling tps | service/ceiling | wrk CPU % | server CPU % | db CPU % | peak RSS MB "
            "| invariants | notes |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for a in aggs:
        notes = []
        if a["without_foreign_keys"]:
            notes.append("**without the foreign keys of ticket and order** (not a baseline)")
        if a.get("conflict_rate") is not None:
            notes.append(f"conflict rate {a['conflict_rate']:.1%}")
        if a.get("tickets_per_s") and a["scenario"] in SEATED_SCENARIOS:
            notes.append(f"{a['tickets_per_s']:,.0f} seats/s")
        if a.get("seats_sold") is not None:
            notes.append(f"{a['seats_sold']:,.0f} of {a['seats']:,.0f} seats sold, last sale at {a['rush_s']:.1f} s "
                         f"(req/s and ok/s up to it)")
        if a.get("stream_changes") is not None:
            notes.append(f"{a['stream_changes']:,.0f} stream messages, the newest sale "
                         f"in each shown after {_f(a['stream_lag_p50_ms'])} ms (p50), {_f(a['stream_lag_max_ms'])} ms "
                         f"(max); "
                         f"the harness following the stream used {_f(a['harness_cpu_pct'])} % of a core")
        if a.get("ok_by_window"):
            notes.append("ok/s in seconds " + ", ".join(f"{lo}-{hi}: {v:,.0f}" for (lo, hi), v in a["ok_by_window"].items()))
        if a.get("time_to_sell_out_s") is not None:
            notes.append(f"sold {a['sold']:,.0f} in {a['time_to_sell_out_s']:.1f} s")
        elif a.get("sold") is not None:
            notes.append(f"NOT sold out: {a['sold']:,.0f} sold, {a['attempts_answered']:,.0f} attempts answered "
                         f"before the time cap")
        if a.get("p50_vs_0_sold_after") is not None:
            notes.append(f"p50 / p50 at 0 sold = {a['p50_vs_0_sold']:.2f} (against the mean of the runs at 0 sold "
                         f"before and after; {a['p50_vs_0_sold_before']:.2f} / {a['p50_vs_0_sold_after']:.2f} "
                         f"against each)")
        elif a.get("p50_vs_0_sold") is not None:  # results from before the run after was added
            notes.append(f"p50 / p50 at 0 sold = {a['p50_vs_0_sold']:.2f}")
        if a.get("http_ratio") is not None:
            what = "ok/s" if a["scenario"].split("@")[0] in BOOKING_SCENARIOS else "req/s"
            notes.append(f"{what} = {a['http_ratio']:.2f} x the HTTP ceiling")
        if a.get("in_flight"):
            notes.append(f"{a['in_flight']:.0f} in flight at wrk stop")
        if a.get("loads"):
            notes.append("load " + "/".join(a["loads"]))
        inv = "–" if not a["has_invariant"] else ("ok" if a["invariant_ok"] else "FAIL: " + "; ".join(a["problems"]))
        lines.append(
            f"| {a['db']} | {a['scenario']} | {a['conns']} | {a['n']} | {_f(a['rps'])} | {_f(a['bookings_per_s'])} "
            f"| {_f(a['p50_ms'], '{:.1f}')} | {_f(a['p95_ms'], '{:.1f}')} | {_f(a['p99_ms'], '{:.1f}')} "
            f"| {_f(a['s2xx'])} | {_f(a['s409'])} | {_f(a['s4xx'])} | {_f(a['s5xx'])} | {_f(a['socket_errors'])} "
            f"| {_f(a['timeouts'])} | {_f(a['ceiling'])} | {_f(a['ratio'], '{:.2f}')} | {_f(a['wrk_cpu_pct'])} "
            f"| {_f(a['server_cpu_pct'])} | {_f(a['db_cpu_pct'])} | {_f(a['rss_peak_mb'])} | {inv} "
            f"| {'; '.join(notes)} |")
    return "\n".join(lines)


def render_ceilings(results: list[dict]) -> str:
    lines = ["| db | work | tool | clients: tps | best tps |", "|---|---|---|---|---:|"]
    by: dict[tuple, list] = {}
    for res in results:
        for exp, c in (res.get("ceilings") or {}).items():
            by.setdefault((res["db"], exp, c["tool"]), []).append(c)
    for (dbn, exp, tool), cs in sorted(by.items()):
        per = {}
        for c in cs:
            for r in c["runs"]:
                per.setdefault(r["clients"], []).append(r["tps"])
        runs = ", ".join(f"{k}: {statistics.median(v):,.0f}" for k, v in sorted(per.items()))
        work = cs[0].get("work") or f"{exp} booking"
        lines.append(f"| {dbn} | {work} | {tool} | {runs} | {statistics.median(c['best_tps'] for c in cs):,.0f} |")
    return "\n".join(lines)


def attach_ratios(records: list[dict], ceilings: dict) -> None:
    for r in records:
        scenario = r["scenario"]
        work = ("seated" if scenario in SEATED_SCENARIOS
                else "ga" if scenario.startswith(("ga", "sellout")) else None)
        if work and work in ceilings:
            r["ceiling_tps"] = ceilings[work]["best_tps"]
            r["ratio"] = round(r["bookings_per_s"] / ceilings[work]["best_tps"], 3)
        if "http" in ceilings:  # successful bookings/s where the scenario books, else requests/s
            done = r["bookings_per_s"] if scenario.split("@")[0] in BOOKING_SCENARIOS else r["rps"]
            r["http_ratio"] = round(done / ceilings["http"]["best_tps"], 3)


DOC = REPO / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench:generated:begin -->", "<!-- bench:generated:end -->"


def cmd_report(args) -> None:
    files = sorted(RESULTS.glob("*.json"))
    results = [json.loads(f.read_text()) for f in files]
    # Interrupted runs (SIGTERM/Ctrl-C before the end) keep their ceilings but no records: left out.
    results = [r for r in results if r.get("label") == args.label and not r.get("quick") and r.get("records")]
    if not results:
        sys.exit(f"no results with label {args.label!r} in {RESULTS}")
    records = [rec for r in results for rec in r["records"]]
    text = [f"Generated by `bench/run report --label {args.label}` from {len(results)} result files "
            f"({', '.join(sorted({r['db'] for r in results}))}); medians over n runs. Code measured: "
            f"{', '.join(sorted({r.get('code', '?') for r in results}))}; server environment: "
            f"{', '.join(sorted({f'{k}={v}' for r in results for k, v in (r.get('server_env') or {}).items()}))}.", "",
            render_table(aggregate(records)), "", "Ceilings (same run, same database server, separate database):", "",
            render_ceilings(results), ""]
    settings = {}
    for r in results:
        settings.setdefault(r["db"], r.get("db_settings"))
    text += ["Database settings seen by the runs:", ""]
    for dbn, s in settings.items():
        text.append(f"- {dbn}: " + ", ".join(f"{k}={v}" for k, v in (s or {}).items()))
    machine = results[-1].get("machine", {})
    text += ["", "Machine (from the last run): " + ", ".join(f"{k}: {v}" for k, v in machine.items())]
    block = "\n".join(text)
    print(block)
    if args.write_doc:
        doc = DOC.read_text() if DOC.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
        if BEGIN not in doc:
            doc += f"\n{BEGIN}\n{END}\n"
        pre, rest = doc.split(BEGIN, 1)
        post = rest.split(END, 1)[1]
        DOC.write_text(f"{pre}{BEGIN}\n{block}\n{END}{post}")
        log(f"wrote {DOC}")


# ----------------------------------------------------------------------------------------------- main

def cmd_run(args) -> int:
    backend = backend_of(args.database_url) if args.database_url else args.db
    scenarios = [s.strip() for s in (args.scenarios or DEFAULT_SCENARIOS[backend]).split(",") if s.strip()]
    unknown = set(scenarios) - set(ALL_SCENARIOS)
    if unknown:
        sys.exit(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if args.quick:
        args.duration = min(args.duration, 3)
        args.warmup = min(args.warmup, 1)
        args.catalog_events = min(args.catalog_events, 5)
        args.ceiling_duration = min(args.ceiling_duration, 2)
        args.arena_seats = min(args.arena_seats, 2000)
        args.hot_seats = min(args.hot_seats, 400)
        args.presold = min(args.presold, 20_000)
        args.sellout_tickets, args.sellout_attempts = min(args.sellout_tickets, 1000), min(args.sellout_attempts, 5000)
        args.ceiling_seats = min(args.ceiling_seats, 50_000)
        args.wait_quiet = 0
        args.sellout_max_s = min(args.sellout_max_s, 30)
        args.users = min(args.users, 300)
    conns_list = [int(c) for c in (args.connections or ("64" if args.quick else "64,1024")).split(",")]
    ceiling_clients = [int(c) for c in args.ceiling_clients.split(",")]
    tag = secrets.token_hex(4)
    RESULTS.mkdir(parents=True, exist_ok=True)
    VAR.mkdir(parents=True, exist_ok=True)
    run_id = time.strftime("%Y%m%dT%H%M%S") + f"-{backend}-{tag}"
    result = {"run_id": run_id, "label": args.label, "db": backend, "quick": args.quick, "argv": sys.argv[1:],
              "workers": args.workers, "scenarios": scenarios, "connections": conns_list,
              "duration_s": args.duration, "target": args.target, "code": CODE_DESC, "machine": machine_info(),
              "records": []}
    cleanup: list = []
    db = ceil_db = server = None
    try:
        if args.database_url:
            db = BenchDB(backend, args.database_url, sync_url_for(args.database_url))
        else:
            db = create_db(backend, f"tb_bench_{tag}")
        cleanup.append(db.close)
        result["db_settings"] = db_settings(db)
        log(f"{backend} database {db.name or db.sync_url}: seeding {args.users} users")
        tokens, umin, umax = seed_users(db, args.users, tag)
        tokens_file = VAR / f"tokens-{tag}.txt"
        tokens_file.write_text("\n".join(tokens) + "\n")
        cleanup.append(lambda: tokens_file.unlink(missing_ok=True))
        seed_catalog(db, args.catalog_events)
        if args.without_foreign_keys:
            result["foreign_keys_dropped"] = drop_booking_foreign_keys(db)
            log(f"dropped the {result['foreign_keys_dropped']} foreign keys of ticket and order: not a baseline run")
        if not args.no_ceiling:
            try:
                ceil_db = create_db(backend, f"tb_bench_{tag}_ceil", server_url=args.database_url)
                cleanup.append(ceil_db.close)
                result["ceilings"] = run_ceilings(ceil_db, set(scenarios), args.ceiling_duration, ceiling_clients,
                                                  args.quick, args.ceiling_seats)
            except Exception as exc:  # a ceiling that cannot be measured must not hide the service figures
                log(f"ceiling not measured: {exc!r}")
                result["ceilings"] = {}
                result["ceiling_error"] = repr(exc)
            finally:
                if ceil_db is not None:
                    ceil_db.close()
            try:
                result["ceilings"]["http"] = http_ceiling(args.workers, args.ceiling_duration, tokens_file)
            except Exception as exc:  # as for the database's ceiling: the service figures still count
                log(f"http ceiling not measured: {exc!r}")
        if args.target:
            url = args.target.rstrip("/")
        else:
            extra_env = dict(kv.split("=", 1) for kv in args.server_env)
            server = Server(db.async_url, args.workers, extra_env=extra_env)
            result["server_env"] = {**SERVER_ENV, **extra_env}
            cleanup.append(server.stop)
            server.wait_ready()
            url = server.url
            log(f"server {url}: pids {server.pids()}")
        run = Run(args, db, url, server, tokens_file, (umin, umax))
        for rep in range(args.repeat):
            for scenario in scenarios:
                for conns in conns_list:
                    if scenario == "ga-hot":
                        run.ga_hot(conns, rep)
                    elif scenario == "ga-1m":
                        if conns == conns_list[0] and (rep == 0 or args.quick):
                            run.ga_1m(conns, rep)
                    elif scenario == "sellout":
                        run.sellout(conns, rep)
                    elif scenario == "seated":
                        run.seated(conns, rep)
                    elif scenario == "seated-map":
                        run.seated_map(conns, rep)
                    elif scenario == "seated-pick":
                        run.seated_pick(conns, rep)
                    elif scenario == "browse":
                        run.browse(conns, rep, avail=conns == conns_list[0])
                    elif scenario == "mix":
                        run.mix(conns, rep)
        if args.without_foreign_keys:
            for record in run.records:
                record["without_foreign_keys"] = True
        result["records"] = run.records
        attach_ratios(run.records, result.get("ceilings") or {})
    finally:
        for fn in reversed(cleanup):
            try:
                fn()
            except Exception as exc:
                log(f"cleanup step failed: {exc!r}")
        out = Path(args.json_out) if args.json_out else RESULTS / f"{run_id}.json"
        out.write_text(json.dumps(result, indent=1, default=str))
        log(f"raw results: {out}")
    aggs = aggregate([dict(r) for r in result["records"]])
    print()
    print(f"Ticketbooth benchmark {run_id}: {backend}, {CODE_DESC}, {args.workers} workers, {args.duration:g}s runs"
          f"{' (quick)' if args.quick else ''}")
    print(render_table(aggs))
    if result.get("ceilings"):
        print()
        print(render_ceilings([result]))
    failed = [a for a in aggs if not a["invariant_ok"]]
    if failed:
        print("\nINVARIANT CHECK FAILED: " + "; ".join(f"{a['scenario']}@{a['conns']}: {a['problems']}" for a in failed))
        return 1
    print("\ninvariants: all ok")
    return 0


def _terminate(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")  # so the finally blocks stop the server and drop the databases


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    signal.signal(signal.SIGTERM, _terminate)
    if argv[:1] == ["report"]:
        p = argparse.ArgumentParser(prog="bench/run report", description="aggregate bench/results/*.json")
        p.add_argument("--label", default="baseline")
        p.add_argument("--write-doc", action="store_true", help="rewrite the generated block of docs/benchmarks.md")
        cmd_report(p.parse_args(argv[1:]))
        return 0
    p = argparse.ArgumentParser(prog="bench/run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=("sqlite", "postgresql", "mariadb"), default="postgresql")
    p.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    p.add_argument("--scenarios", help=f"comma list of {','.join(ALL_SCENARIOS)} (default depends on --db)")
    p.add_argument("--connections", help="comma list of wrk connection counts (default 64,1024; --quick: 64)")
    p.add_argument("--duration", type=float, default=15, help="seconds per timed run (default 15)")
    p.add_argument("--repeat", type=int, default=1, help="repeat every measurement; tables show medians")
    p.add_argument("--warmup", type=float, default=2, help="seconds of warm-up load before each timed run")
    p.add_argument("--quick", action="store_true", help="short runs and small shows, for a smoke test")
    p.add_argument("--target", help="drive an already running deployment at this base URL instead of starting one")
    p.add_argument("--database-url", help="with --target: the deployment's database (SQLAlchemy async URL)")
    p.add_argument("--server-pids", help="with --target: comma list of server pids for CPU and RSS figures")
    p.add_argument("--code", help="measure this git revision (exported to var/bench/) instead of the working tree")
    p.add_argument("--server-env", action="append", default=[], metavar="KEY=VALUE",
                   help="extra environment for the server, e.g. TICKETBOOTH_DB_POOL_SIZE=20 (repeatable)")
    p.add_argument("--json-out", help="write the raw JSON here instead of bench/results/<run id>.json")
    p.add_argument("--label", default="adhoc", help="tag stored in the JSON; `report --label` selects by it")
    p.add_argument("--timeout", type=float, default=30,
                   help="wrk request timeout in s (30: longer than a run, so every answer is in the latency "
                        "histogram; requests still unanswered when wrk stops are counted as timeouts)")
    p.add_argument("--avail-connections", type=int, default=8, help="connections for the 60k availability (8)")
    p.add_argument("--avail-timeout", type=float, default=30, help="wrk timeout for the availability (30 s)")
    p.add_argument("--users", type=int, default=2000, help="distinct buyers (tokens) (default 2000)")
    p.add_argument("--catalog-events", type=int, default=20, help="other events in GET /api/events (default 20)")
    p.add_argument("--ga-capacity", type=int, default=10_000_000)
    p.add_argument("--presold", type=int, default=1_000_000, help="ga-1m: tickets bulk-sold between the two runs")
    p.add_argument("--sellout-tickets", type=int, default=10_000)
    p.add_argument("--sellout-attempts", type=int, default=50_000)
    p.add_argument("--sellout-max-s", type=float, default=60, help="sellout: wrk duration cap (s)")
    p.add_argument("--arena-seats", type=int, default=60_000)
    p.add_argument("--hot-seats", type=int, default=6_000, help="seated: half of the requests aim at these front seats")
    p.add_argument("--drain-max", type=float, default=150,
                   help="after a run, wait up to this long for the server to finish abandoned requests (150 s)")
    p.add_argument("--profile", action="store_true",
                   help="py-spy record every server worker during the timed runs (collapsed stacks in bench/results/)")
    p.add_argument("--no-ceiling", action="store_true", help="skip the database ceiling measurement")
    p.add_argument("--without-foreign-keys", action="store_true",
                   help="drop the foreign keys of ticket and order in the bench database before the load, to measure "
                        "what their checks cost (PostgreSQL, MariaDB; never a baseline: every row says so)")
    p.add_argument("--ceiling-clients", default="8,64", help="client counts for pgbench/sysbench (default 8,64)")
    p.add_argument("--ceiling-duration", type=float, default=10, help="seconds per ceiling run (default 10)")
    p.add_argument("--ceiling-seats", type=int, default=1_000_000, help="seat pool of the seated ceiling")
    p.add_argument("--wait-quiet", type=float, default=30,
                   help="before a timed run, wait up to this many s for the box to be under 25%% busy (0: don't)")
    args = p.parse_args(argv)
    if args.target and not args.database_url:
        p.error("--target needs --database-url (the harness seeds shows and checks invariants in the database)")
    if args.without_foreign_keys and args.database_url:
        p.error("--without-foreign-keys: only in a database the harness creates, never with --database-url")
    if args.without_foreign_keys and args.db == "sqlite":
        p.error("--without-foreign-keys: PostgreSQL and MariaDB only (SQLite cannot drop a constraint of a table)")
    return cmd_run(args)


if __name__ == "__main__":
    sys.exit(main())
