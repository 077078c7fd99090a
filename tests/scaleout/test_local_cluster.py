"""The scale-out topology for real: deploy/local-cluster (3 `ticketbooth serve` processes on one PostgreSQL
database, Debian's nginx in front). Bookings race across the instances without overselling, and a rolling
restart of every instance under steady load fails no request.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from tests.support.databases import BackendUnavailable, create_database
from tests.support.factories import Factory, tickets_of_show, tier_counts
from tests.support.invariants import (
    assert_every_success_stored,
    assert_inventory_sums,
    assert_no_half_written_orders,
    assert_seats_sold_once,
)
from tests.support.load import BookingLoad
from tests.support.race import race
from tests.support.servers import REPO

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SCRIPT = REPO / "deploy" / "local-cluster"
NGINX = os.environ.get("TICKETBOOTH_NGINX", "/usr/sbin/nginx")


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


def _cluster(state_dir: Path, *args: str, timeout: float = 180) -> dict:
    # 3 instances x (5 + 5) connections: a small share of the shared PostgreSQL's max_connections
    env = {**os.environ, "TICKETBOOTH_RATE_LIMIT_ENABLED": "false", "TICKETBOOTH_LOG_LEVEL": "warning",
           "TICKETBOOTH_DB_POOL_SIZE": "5", "TICKETBOOTH_DB_MAX_OVERFLOW": "5"}
    result = subprocess.run([str(SCRIPT), *args, "--state-dir", str(state_dir), "--json"], env=env, cwd=REPO,
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"local-cluster {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    chosen = os.environ.get("TICKETBOOTH_TEST_DATABASES", "sqlite,postgresql,mariadb")
    if "postgresql" not in chosen:
        _unavailable("PostgreSQL not in TICKETBOOTH_TEST_DATABASES")
    if not Path(NGINX).exists():
        _unavailable(f"no nginx at {NGINX}")
    try:
        db = create_database("postgresql", tmp_path_factory.mktemp("cluster-db"))
    except BackendUnavailable as exc:
        _unavailable(str(exc))
    state_dir = Path(tempfile.mkdtemp(prefix="tb-cluster-test-"))  # not under pytest's 0700 tmp: nginx's workers read it
    state_dir.chmod(0o755)
    try:
        state = _cluster(state_dir, "up", "--instances", "3", "--port", "0", "--database-url", db.async_url)
        yield state_dir, state, db
    finally:
        subprocess.run([str(SCRIPT), "down", "--state-dir", str(state_dir)], capture_output=True, timeout=120)
        for inst in json.loads((state_dir / "cluster.json").read_text()).get("instances", []):
            if inst.get("pid"):  # `down` failed: do not leave servers behind
                subprocess.run(["kill", "-9", str(inst["pid"])], capture_output=True)
        shutil.rmtree(state_dir, ignore_errors=True)
        db.close()


def _race_to_final(url: str, requests: list[tuple[dict, dict]]) -> list:
    """race() with an Idempotency-Key per buyer; a 503 (the box is overloaded: lock or pool timeout) is
    re-sent with the same key and body, as the API asks, until every buyer has a final answer."""
    requests = [({**headers, "Idempotency-Key": uuid.uuid4().hex}, body) for headers, body in requests]
    outcomes = race([url], requests)
    for _ in range(10):
        pending = [i for i, o in enumerate(outcomes) if o.status == 503]
        if not pending:
            break
        assert all(outcomes[i].body["error"] == "SERVICE_UNAVAILABLE" for i in pending)
        time.sleep(0.5)
        for i, outcome in zip(pending, race([url], [requests[i] for i in pending])):
            outcomes[i] = outcome
    return outcomes


def _upstreams_of_bookings(state_dir: Path) -> Counter:
    time.sleep(1.2)  # the access log is flushed every second
    log = (state_dir / "nginx-access.log").read_text()
    return Counter(re.findall(r'"POST /api/bookings [^"]*" \d+ .* upstream=(\S+)', log))


def test_bookings_race_across_instances_without_overselling(cluster):
    state_dir, state, db = cluster
    factory = Factory(db)
    ga = factory.ga_show({1: (20, 10000), 3: (1000, 2500)})
    seated = factory.seated_show(rows=1, per_row=5)
    users = [factory.user() for _ in range(10)]

    def ga_body(tier):
        return {"eventDateId": ga.id, "customerName": "Racer", "paymentSource": "card",
                "tiers": [{"ticketTypeId": tier, "quantity": 1}]}

    outcomes = _race_to_final(state["url"], [(users[i % 10].auth, ga_body(1)) for i in range(60)])
    assert Counter(o.status for o in outcomes) == {201: 20, 409: 40}, [(o.status, o.body) for o in outcomes]
    assert tier_counts(db, ga.id)[1] == (20, 0, 20)

    seat = {"eventDateId": seated.id, "customerName": "Racer", "paymentSource": "card",
            "seats": [{"seatId": seated.seat_ids[2]}]}
    outcomes = _race_to_final(state["url"], [(users[i % 10].auth, seat) for i in range(30)])
    assert Counter(o.status for o in outcomes) == {201: 1, 409: 29}, [(o.status, o.body) for o in outcomes]
    assert [t.seat_id for t in tickets_of_show(db, seated.id)] == [seated.seat_ids[2]]

    spread = _upstreams_of_bookings(state_dir)
    assert len(spread) == 3 and min(spread.values()) >= 10, spread  # every instance took part in the races
    assert_no_half_written_orders(db.engine, [ga.id, seated.id])
    assert_inventory_sums(db.engine, ga.id)


def test_rolling_restart_under_steady_load_fails_no_request(cluster):
    state_dir, state, db = cluster
    factory = Factory(db)
    ga = factory.ga_show({1: (300, 10000), 3: (5000, 2500)})
    seated = factory.seated_show(rows=10, per_row=20)
    users = [factory.user() for _ in range(8)]
    before = {i["port"]: i["pid"] for i in state["instances"]}

    # Half the bookings carry no Idempotency-Key: nothing may depend on client retries. No client retries at
    # all here, and a fresh connection per request (a browser re-sends an idempotent request whose keep-alive
    # connection was closed under it; httpx does not).
    load = BookingLoad([state["url"]], users, ga_show=ga, ga_tiers=[1, 3], seated_show=seated, concurrency=6,
                       retry_503=False, read_share=0.3, key_share=0.5, keepalive=False, timeout_s=30).start()
    try:
        deadline = time.monotonic() + 60
        while load.count_final(201) < 10:
            assert time.monotonic() < deadline, "no bookings before the restart"
            time.sleep(0.1)
        started = time.monotonic()
        restarts = _cluster(state_dir, "rolling-restart")["restarts"]
        took = time.monotonic() - started
        time.sleep(1.0)  # and some load after the last instance is back
    finally:
        result = load.stop(timeout=60)

    after = {i["port"]: i["pid"] for i in _cluster(state_dir, "status")["instances"]}
    statuses = result.status_counts()
    during = [a for a in result.attempts if started <= a.started <= started + took]
    print(f"\nrolling restart of 3 instances in {took:.1f}s ({[r['total_s'] for r in restarts]} s each): "
          f"{len(result.attempts)} requests, {len(during)} during the restart; by status {dict(statuses)}")
    assert set(after) == set(before) and all(after[p] != before[p] for p in before), (before, after)
    assert not result.transport_errors(), result.transport_errors()[:5]
    assert set(statuses) <= {200, 201, 409}, statuses  # 0 failed: no 5xx, no dropped connection
    assert len(during) >= 30, "too little load during the restart to prove anything"
    for attempt in result.attempts:
        if attempt.status == 409:
            assert attempt.body["error"] in ("INSUFFICIENT_INVENTORY", "SEAT_ALREADY_TAKEN"), attempt.body

    orders = assert_no_half_written_orders(db.engine, [ga.id, seated.id])
    assert_inventory_sums(db.engine, ga.id)
    assert_seats_sold_once(db.engine, seated.id)
    assert_every_success_stored(orders, result)
