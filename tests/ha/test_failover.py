"""Bookings ride through the loss of the PostgreSQL primary: nothing confirmed is lost, nothing is doubled.

Two service instances (real uvicorn processes, never restarted) book GA tickets and seats through HAProxy on
a 3-node Patroni cluster (synchronous_mode_strict) while the test
  1. kills the primary's Patroni and PostgreSQL with SIGKILL (machine loss), then lets the node rejoin,
  2. runs a planned switchover (patronictl switchover --force),
  3. kills the primary's postmaster only (a crash: Patroni restarts it in place).
The buyers retry 503s and connection errors with the same Idempotency-Key until they get 201 or 409.
Then every confirmed booking exists exactly once with its tickets, no other order exists, no seat is sold
twice, and sold + remaining == capacity for every tier. The write gap and the 503s of each fault are
measured and printed (and kept in var/test-logs/ha/figures.json).
"""

import json
import os
import shutil
import signal
import time
from collections import Counter

import httpx
import pytest
import sqlalchemy as sa

from tests.ha.conftest import LOG_DIR, RESULTS
from tests.ha.load import LoadClient
from tests.support.servers import ServerProcess
from ticketbooth.db import tables as t

pytestmark = pytest.mark.ha

MiB = 1024 * 1024
GA_TIERS = {1: (4000, 10000), 2: (4000, 5000), 3: (20000, 2500)}  # ticket type: (capacity, price cents)


def wait_until(cond, timeout: float, what: str) -> float:
    """Poll instead of sleeping: the machine may be slow, so bounds are generous and waits end early."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if cond():
            return time.monotonic() - t0
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def figures(load: LoadClient, name: str, t_fault: float, t_flowing: float, t_end: float, **extra) -> dict:
    """Client-side view of one fault: the longest stretch without a confirmed booking around it, and the
    503s / connection errors the buyers saw (all retried)."""
    done = [a.t_end for a in load.successes()]
    before = [s for s in done if s <= t_fault]
    points = before[-1:] + [s for s in done if t_fault < s <= t_end]
    gap = max((b - a for a, b in zip(points, points[1:])), default=None)
    attempts = [a for a in load.attempts() if t_fault <= a.t_end <= t_end]  # incl. those in flight at the fault
    return {
        "scenario": name,
        "write_gap_s": round(gap, 2) if gap is not None else None,
        "writes_flow_again_after_s": round(t_flowing - t_fault, 2),
        "http_503": sum(a.status == 503 for a in attempts),
        "commit_outcome_unknown_503": sum(a.unknown_outcome for a in attempts),
        "connection_errors": sum(isinstance(a.status, str) for a in attempts),
        "attempts_in_window": len(attempts),
        **extra,
    }


def test_commit_with_unknown_outcome_is_a_503_and_the_same_key_finds_it(ha_cluster, database, factory):
    """A COMMIT stuck waiting for the synchronous standby: the service gives up on its side within its bound
    (closing the connection, never cancelling the COMMIT), answers 503, and a retry with the same key
    returns the original order once the standby is back -- exactly one order, inventory consistent."""
    cluster = ha_cluster
    show = factory.ga_show({3: (100, 2500)})
    user = factory.user()
    proc = ServerProcess(database.async_url, env={
        "TICKETBOOTH_RATE_LIMIT_ENABLED": "false", "TICKETBOOTH_LOG_FORMAT": "text",
        "TICKETBOOTH_DB_TRANSACTION_TIMEOUT_S": "3", "TICKETBOOTH_DB_LOCK_TIMEOUT_MS": "1000",
    })
    headers = {**user.auth, "Idempotency-Key": "stuck-commit-1"}
    body = {"eventDateId": show.id, "customerName": "Stuck Commit", "paymentSource": "test-card-4242",
            "tiers": [{"ticketTypeId": 3, "quantity": 2}]}
    stopped: list[int] = []
    try:
        proc.wait_ready(60)
        with httpx.Client(base_url=proc.url, timeout=60) as api:
            assert api.get("/health").status_code == 200
            stopped = cluster.walreceivers()
            assert len(stopped) == 2, "expected both replicas streaming"
            for pid in stopped:  # no standby can confirm a flush: every COMMIT on the primary now waits
                os.kill(pid, signal.SIGSTOP)

            t0 = time.monotonic()
            first = api.post("/api/bookings", headers=headers, json=body)
            first_s = time.monotonic() - t0
            assert first.status_code == 503, first.text
            assert first.json()["error"] == "SERVICE_UNAVAILABLE" and "unknown" in first.json()["message"]
            assert first.headers["Retry-After"]
            assert first_s < 15, f"the stuck COMMIT held the request for {first_s:.1f}s"
            # Not cancelled: the transaction is still waiting for its standby, invisible to everyone. (A
            # cancelled wait would have made it visible here: committed on the primary only.)
            assert cluster.sql("SELECT count(*) FROM \"order\" WHERE idempotency_key = 'stuck-commit-1'")  \
                in ("0", None)
            # The retry cannot know yet either: it waits on the first one's key, up to lock_timeout: 503.
            t0 = time.monotonic()
            retry = api.post("/api/bookings", headers=headers, json=body)
            assert retry.status_code == 503, retry.text
            assert time.monotonic() - t0 < 15

            for pid in stopped:
                os.kill(pid, signal.SIGCONT)
            stopped = []
            # The standby confirms, the first COMMIT completes: the retry returns that very order.
            deadline = time.monotonic() + 60
            while True:
                again = api.post("/api/bookings", headers=headers, json=body)
                if again.status_code != 503 or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert again.status_code == 201, again.text
            assert api.post("/api/bookings", headers=headers, json=body).json()["orderId"] == again.json()["orderId"]

        with database.engine.connect() as conn:
            orders = conn.execute(sa.select(t.order.c.id).where(t.order.c.user_id == user.id)).scalars().all()
            remaining = conn.execute(sa.select(t.event_date_has_ticket_type.c.remaining_tickets)
                                     .where(t.event_date_has_ticket_type.c.event_date_id == show.id)).scalar_one()
            sold = conn.execute(sa.select(sa.func.count()).select_from(t.ticket)
                                .where(t.ticket.c.event_date_id == show.id)).scalar_one()
        assert orders == [again.json()["orderId"]]
        assert (sold, remaining) == (2, 98)
        RESULTS["stuck_commit"] = {"first_answer_s": round(first_s, 2), "first_status": 503,
                                   "retry_after_standby_back": 201, "orders": len(orders)}
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
        proc.stop()
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(proc.log_path, LOG_DIR / "instance-stuck-commit.log")


def test_bookings_survive_primary_loss_and_switchover(ha_cluster, database, factory):
    cluster = ha_cluster
    t_test = time.monotonic()
    ga = factory.ga_show(GA_TIERS)
    seated = factory.seated_show(rows=20, per_row=40)
    users = [factory.user() for _ in range(8)]
    env = {"TICKETBOOTH_RATE_LIMIT_ENABLED": "false", "TICKETBOOTH_ACCESS_LOG": "false",
           "TICKETBOOTH_LOG_FORMAT": "text"}
    # Instance A serves catalog pages from the replicas; B reads everything from the primary.
    a = ServerProcess(database.async_url, env={**env, "TICKETBOOTH_DATABASE_REPLICA_URL":
                                               cluster.url(database="ticketbooth", replica=True)})
    b = ServerProcess(database.async_url, env=env)
    instances = [a, b]
    load = None
    try:
        for proc in instances:
            proc.wait_ready(60)
        pids = [p.process.pid for p in instances]
        load = LoadClient([p.url for p in instances], users, ga.id, list(GA_TIERS), seated.id, seated.seat_ids)
        load.start()
        wait_until(lambda: len(load.successes()) >= 30, 120, "the first bookings")
        t_warm = time.time()
        time.sleep(3)  # a steady stretch to measure the rate the faults interrupt
        steady = [x for x in load.successes() if x.t_end > t_warm]
        RESULTS["steady_bookings_per_s"] = round(len(steady) / (time.time() - t_warm), 1)
        runs = []

        # 1. Machine loss: SIGKILL the primary's Patroni and postmaster together.
        old, sync = cluster.primary(), cluster.sync_standby()
        t_fault = time.time()
        cluster.kill_node(old)
        wait_until(lambda: cluster.primary() not in (None, old), 120, "a new primary")
        t_leader, new = time.time(), cluster.primary()
        wait_until(lambda: load.succeeded_since(t_leader), 120, "bookings after the failover")
        t_flowing = time.time()
        cluster.start_node(old)  # the machine comes back: pg_rewind, rejoins as a replica
        rejoin_s = cluster.wait_healthy(240, max_lag=64 * MiB)
        runs.append(figures(load, "machine loss (SIGKILL Patroni + postmaster)", t_fault, t_flowing, time.time(),
                            old_primary=old, new_primary=new, promoted_sync_standby=(new == sync),
                            new_leader_after_s=round(t_leader - t_fault, 2), rejoin_healthy_s=round(rejoin_s, 1)))
        assert new == sync, "only the synchronous standby may be promoted"

        # 2. Planned switchover to the sync standby.
        old = cluster.primary()
        t_fault = time.time()
        result = cluster.switchover()
        assert result.returncode == 0, result.stdout + result.stderr
        t_cmd = time.time()
        wait_until(lambda: cluster.primary() not in (None, old), 120, "the switchover's new primary")
        wait_until(lambda: load.succeeded_since(t_cmd), 120, "bookings after the switchover")
        t_flowing = time.time()
        healthy_s = cluster.wait_healthy(240, max_lag=64 * MiB)
        runs.append(figures(load, "planned switchover (patronictl switchover --force)", t_fault, t_flowing,
                            time.time(), old_primary=old, new_primary=cluster.primary(),
                            command_s=round(t_cmd - t_fault, 2), healthy_after_s=round(healthy_s, 1)))

        # 3. PostgreSQL crash with Patroni alive: restarted in place (primary_start_timeout), no failover.
        old = cluster.primary()
        pid = cluster.postmaster_pid(old)
        t_fault = time.time()
        cluster.kill_postmaster(old)
        wait_until(lambda: cluster.postmaster_pid(old) not in (None, pid) or cluster.primary() not in (None, old),
                   120, "PostgreSQL to be restarted")
        t_back = time.time()
        wait_until(lambda: load.succeeded_since(t_back), 120, "bookings after the crash")
        t_flowing = time.time()
        healthy_s = cluster.wait_healthy(240, max_lag=64 * MiB)
        runs.append(figures(load, "postmaster crash (SIGKILL postmaster, Patroni alive)", t_fault, t_flowing,
                            time.time(), old_primary=old, new_primary=cluster.primary(),
                            healthy_after_s=round(healthy_s, 1)))

        t_tail = time.time()
        wait_until(lambda: load.succeeded_since(t_tail + 1), 60, "steady bookings at the end")
        load.stop()

        # Both instances served through all of it without a restart, and are healthy.
        assert [p.process.poll() for p in instances] == [None, None]
        assert [p.process.pid for p in instances] == pids
        for proc in instances:
            assert httpx.get(f"{proc.url}/health", timeout=10).status_code == 200
        assert httpx.get(f"{a.url}/api/events", timeout=10).status_code == 200  # catalog from a replica

        summary = check_outcome(database, load, ga.id, seated.id)
        RESULTS.update(runs=runs, **summary, test_wall_s=round(time.monotonic() - t_test, 1))
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        (LOG_DIR / "figures.json").write_text(json.dumps(RESULTS, indent=1))
        print(json.dumps(RESULTS, indent=1))
    finally:
        if load is not None and load._thread is not None and load._thread.is_alive():
            load._stop.set()
            load._thread.join(60)
        for name, proc in zip("ab", instances):
            proc.stop()
            LOG_DIR.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(proc.log_path, LOG_DIR / f"instance-{name}.log")


def check_outcome(database, load: LoadClient, ga_id: int, seated_id: int) -> dict:
    bookings = load.bookings
    problems = [a.problem for bk in bookings for a in bk.attempts if a.problem]
    assert not problems, f"answers other than 201/409/503-with-envelope: {problems[:5]}"
    finals = Counter(str(bk.final) for bk in bookings)
    assert set(finals) <= {"201", "409"}, f"bookings without a definite answer: {finals}"
    confirmed = {bk.key: bk for bk in bookings if bk.final == 201}

    with database.engine.connect() as conn:
        orders = conn.execute(
            sa.select(t.order.c.id, t.order.c.user_id, t.order.c.idempotency_key, t.order.c.total_tickets)
            .where(t.order.c.event_date_id.in_([ga_id, seated_id]))
        ).all()
        lines = conn.execute(
            sa.select(t.ticket.c.order_id, t.ticket.c.ticket_type_id, t.ticket.c.seat_id)
            .where(t.ticket.c.event_date_id.in_([ga_id, seated_id]), t.ticket.c.order_id.is_not(None))
        ).all()
        inventory = conn.execute(
            sa.select(t.event_date_has_ticket_type.c.ticket_type_id, t.event_date_has_ticket_type.c.max_quantity,
                      t.event_date_has_ticket_type.c.remaining_tickets)
            .where(t.event_date_has_ticket_type.c.event_date_id == ga_id)
        ).all()

    # Every booking the buyers saw confirmed exists exactly once, as the order they were told about; and
    # there is no other order (a key answered 409 or never confirmed must not have booked anything).
    by_key = Counter(o.idempotency_key for o in orders)
    assert [k for k, n in by_key.items() if n > 1] == []
    assert set(by_key) == set(confirmed), (
        f"confirmed but missing: {sorted(set(confirmed) - set(by_key))[:5]}, "
        f"booked but never confirmed: {sorted(set(by_key) - set(confirmed))[:5]}"
    )
    for o in orders:
        bk = confirmed[o.idempotency_key]
        assert (o.id, o.user_id, o.total_tickets) == (bk.order_id, bk.user_id, bk.tickets)

    # Each order holds exactly what its request asked for.
    tickets_of = Counter((line.order_id, line.ticket_type_id) for line in lines)
    seats_of = {(line.order_id, line.seat_id) for line in lines if line.seat_id is not None}
    for bk in confirmed.values():
        if bk.kind == "GA":
            for tier in bk.body["tiers"]:
                assert tickets_of[(bk.order_id, tier["ticketTypeId"])] == tier["quantity"]
    wanted_seats = {(bk.order_id, s["seatId"]) for bk in confirmed.values() if bk.kind == "SEATED"
                    for s in bk.body["seats"]}
    assert seats_of == wanted_seats

    # No seat sold twice; GA inventory adds up.
    seat_sales = Counter(line.seat_id for line in lines if line.seat_id is not None)
    assert [s for s, n in seat_sales.items() if n > 1] == []
    sold = Counter(line.ticket_type_id for line in lines if line.order_id and line.seat_id is None)
    for tier, capacity, remaining in inventory:
        assert sold[tier] + remaining == capacity, f"tier {tier}: {sold[tier]} sold + {remaining} left != {capacity}"

    attempts = [a for bk in bookings for a in bk.attempts]
    return {
        "bookings": len(bookings),
        "confirmed_201": len(confirmed),
        "confirmed_present_in_db": sum(1 for k in confirmed if k in by_key),
        "rejected_409": finals.get("409", 0),
        "orders_in_db": len(orders),
        "seats_sold": len(seat_sales),
        "ga_tickets_sold": sum(sold.values()),
        "http_503_total": sum(a.status == 503 for a in attempts),
        "connection_errors_total": sum(isinstance(a.status, str) for a in attempts),
        "retried_bookings": sum(1 for bk in bookings if len(bk.attempts) > 1),
        "commit_outcome_unknown_503": sum(a.unknown_outcome for a in attempts),
        "unknown_then_confirmed": sum(1 for bk in confirmed.values() if any(a.unknown_outcome for a in bk.attempts)),
        "unknown_then_409": sum(1 for bk in bookings if bk.final == 409 and any(a.unknown_outcome for a in bk.attempts)),
        "max_attempt_s": round(max(a.t_end - a.t_start for a in attempts), 2),
    }
