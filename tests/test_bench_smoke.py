"""Smoke test of the benchmark harness (bench/run): a few seconds of load on SQLite, and the invariants hold.

It checks the instrument, not performance: no figure is asserted except that bookings succeeded at all.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from ticketbooth.db import tables as t

REPO = Path(__file__).resolve().parents[1]


def test_bench_quick_sqlite(tmp_path):
    assert shutil.which("wrk"), "wrk is not installed: scripts/setup-tools installs it"
    out = tmp_path / "result.json"
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "harness.py"), "--quick", "--db", "sqlite", "--scenarios", "ga-hot,browse,seated-map,seated-pick",
         "--no-ceiling", "--connections", "8", "--duration", "3", "--warmup", "0", "--users", "50", "--json-out", str(out)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        stdout, stderr = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        proc.terminate()  # SIGTERM: the harness stops its server and drops its database
        stdout, stderr = proc.communicate(timeout=60)
        pytest.fail("bench/run --quick did not finish in 300 s:\n" + stdout[-3000:] + stderr[-3000:])
    assert proc.returncode == 0, stdout[-3000:] + stderr[-3000:]
    result = json.loads(out.read_text())
    scenarios = {r["scenario"]: r for r in result["records"]}
    assert set(scenarios) == {"ga-hot", "browse-events", "browse-avail", "seated-map", "seated-pick"}
    ga = scenarios["ga-hot"]
    assert ga["invariant"]["ok"], ga["invariant"]
    assert ga["bookings_ok"] > 0 and ga["s5xx"] == 0
    assert scenarios["browse-events"]["s2xx"] > 0
    seated = scenarios["seated-map"]  # buyers who pick from the seat map the live stream keeps current
    assert seated["invariant"]["ok"], seated["invariant"]
    assert seated["bookings_ok"] > 0 and seated["s5xx"] == 0 and seated["stream_changes"] > 0
    picked = scenarios["seated-pick"]  # buyers who let the box office pick their seats
    assert picked["invariant"]["ok"], picked["invariant"]
    assert picked["bookings_ok"] > 0 and picked["s5xx"] == 0
    assert "invariants: all ok" in stdout


def test_the_http_ceiling_is_measured_on_plain_fastapi(tmp_path):
    """The ceiling the service's requests/s are read against: a real uvicorn serving bench/ceiling/plain_app.py,
    driven by wrk; it must have answered requests and be stopped afterwards."""
    harness = _harness()
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("unused\n")  # the wrk script reads a token file in every mode

    ceiling = harness.http_ceiling(workers=1, duration=1, tokens_file=tokens, conns=8)

    assert ceiling["tool"] == "wrk" and ceiling["runs"][0]["clients"] == 8
    assert ceiling["best_tps"] > 50 and ceiling["runs"][0]["server_cpu_pct"] > 0
    assert not [line for line in subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout.splitlines()
                if "plain_app:app" in line]


@pytest.mark.parametrize("backend", ["postgresql", "mariadb"])
def test_without_foreign_keys_drops_only_those_of_the_booked_rows(backend):
    """--without-foreign-keys (what the checks cost): every foreign key of ticket and order goes, no other."""
    harness = _harness()
    db = harness.create_db(backend, f"tb_bench_fk_test_{os.getpid()}")
    try:
        before = _foreign_keys(db)
        assert {table for table, _ in before} >= {"ticket", "order", "event_date", "event_date_has_seat"}

        dropped = harness.drop_booking_foreign_keys(db)

        after = _foreign_keys(db)
        assert dropped == sum(table in ("ticket", "order") for table, _ in before) >= 7
        assert after == {key for key in before if key[0] not in ("ticket", "order")}
    finally:
        db.close()


@pytest.mark.parametrize("backend", ["postgresql", "mariadb", "sqlite"])
def test_the_database_ceilings_book_rows_the_schema_accepts(backend):
    """pgbench / sysbench + procedures / sqlite3 each book GA and seated orders in a ceiling database with every key
    and constraint on: a ceiling writing rows the service could not write would measure other work."""
    harness = _harness()
    db = harness.create_db(backend, f"tb_bench_ceil_test_{os.getpid()}")
    try:
        ceilings = harness.run_ceilings(db, {"ga-hot", "seated-pick"}, 1, [2], True, 2_000)
        with db.engine.connect() as conn:
            tickets = dict(conn.execute(
                sa.select(t.event_date.c.seating_mode, sa.func.count()).select_from(t.ticket)
                .join(t.event_date, t.event_date.c.id == t.ticket.c.event_date_id)
                .group_by(t.event_date.c.seating_mode)).all())
    finally:
        db.close()
    assert {exp: ceiling["best_tps"] > 0 for exp, ceiling in ceilings.items()} == {"ga": True, "seated": True}
    assert tickets["GA"] > 0 and tickets["SEATED"] > 0


def test_without_foreign_keys_is_refused_on_sqlite_and_on_a_database_given_by_url(capsys):
    harness = _harness()
    with pytest.raises(SystemExit):
        harness.main(["--db", "sqlite", "--without-foreign-keys"])
    assert "PostgreSQL and MariaDB only" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        harness.main(["--without-foreign-keys", "--target", "http://127.0.0.1:9", "--database-url",
                      "postgresql+asyncpg://postgres@127.0.0.1/someones_database"])
    assert "never with --database-url" in capsys.readouterr().err


def _harness():
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import harness
    finally:
        sys.path.remove(str(REPO / "bench"))
    return harness


def _foreign_keys(db) -> set[tuple[str, str]]:
    inspector = sa.inspect(db.engine)
    return {(table, key["name"]) for table in inspector.get_table_names() for key in inspector.get_foreign_keys(table)}
