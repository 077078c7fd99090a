"""`ticketbooth seed-demo` gives the demo the README promises, dated relative to today."""

import os
import subprocess
import sys
from datetime import datetime, timedelta

import httpx

from tests.support.servers import REPO, ServerProcess


def test_seed_demo_builds_the_promised_demo(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    env = {**os.environ, "TICKETBOOTH_DATABASE_URL": url}
    for _ in range(2):  # the second run must leave a seeded database alone
        subprocess.run([sys.executable, "-m", "ticketbooth", "seed-demo"], env=env, cwd=REPO, check=True,
                       capture_output=True)

    server = ServerProcess(url).wait_ready()
    try:
        api = httpx.Client(base_url=server.url, timeout=30)
        events = api.get("/api/events").json()
        dates = [d for e in events for d in e["dates"]]
        assert len(events) >= 3 and len({d["id"] for d in dates}) == len(dates)
        today = datetime.utcnow()
        assert all(today < datetime.fromisoformat(d["date"].rstrip("Z")) < today + timedelta(days=60) for d in dates)
        assert any(d["soldOut"] for d in dates)

        ga = next(d for d in dates if d["seatingMode"] == "GA" and not d["soldOut"])
        tiers = api.get(f"/api/event-dates/{ga['id']}/availability").json()["tiers"]
        assert [(t["id"], t["name"]) for t in tiers] == [(1, "VIP"), (2, "FRONT_ROW"), (3, "GA")]

        seated = next(d for d in dates if d["seatingMode"] == "SEATED")
        sections = api.get(f"/api/event-dates/{seated['id']}/availability").json()["sections"]
        seats = [s for sec in sections for row in sec["rows"] for s in row["seats"]]
        assert len(seats) >= 2000 and len(sections) > 1
        assert {s["ticketType"] for s in seats} == {"VIP", "FRONT_ROW", "GA"}
        assert any(s["accessible"] for s in seats)

        for login, password in (("demo@ticketbooth.dev", "demo-pass-123"), ("admin", "admin-pass-123")):
            assert api.post("/api/login", json={"email": login, "password": password}).status_code == 200
    finally:
        server.stop()
