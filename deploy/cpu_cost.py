"""CPU cost per request of one `ticketbooth serve` instance (the figures in docs/scaling.md): N requests per kind at
8 concurrent clients, the instance's CPU time (utime+stime from /proc) before and after: robust to a busy machine,
as it counts CPU used, not wall time. Seeds its own users and shows (test factories) in the database.

    .venv/bin/python deploy/cpu_cost.py http://127.0.0.1:PORT PID postgresql+psycopg://postgres@127.0.0.1:5432/DB
"""
import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path

import httpx
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.databases import TestDatabase
from tests.support.factories import Factory

url, pid, sync_url = sys.argv[1], int(sys.argv[2]), sys.argv[3]
TICK = os.sysconf('SC_CLK_TCK')

def cpu(p):
    f = open(f'/proc/{p}/stat').read().rsplit(')', 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK

db = TestDatabase('postgresql', sync_url.replace('+psycopg', '+asyncpg'), sync_url)
fac = Factory(db)
users = [fac.user() for _ in range(40)]
ga = fac.ga_show({1: (100000, 10000), 3: (1000000, 2500)})
seated = fac.seated_show(rows=40, per_row=50)
N, C = int(os.environ.get('N', 400)), 8
seat_iter = iter(seated.seat_ids)

def kinds():
    return {
        'GET /api/events': lambda i: ('GET', '/api/events', None, {}),
        'GET /api/event-dates/{id}': lambda i: ('GET', f'/api/event-dates/{ga.id}', None, {}),
        'GET availability (GA)': lambda i: ('GET', f'/api/event-dates/{ga.id}/availability', None, {}),
        'GET availability (2,000-seat map)': lambda i: ('GET', f'/api/event-dates/{seated.id}/availability', None, {}),
        'POST booking GA (2 tiers)': lambda i: ('POST', '/api/bookings', {"eventDateId": ga.id, "customerName": "C", "paymentSource": "card",
              "tiers": [{"ticketTypeId": 1, "quantity": 1}, {"ticketTypeId": 3, "quantity": 2}]},
              {**users[i % 40].auth, 'Idempotency-Key': uuid.uuid4().hex}),
        'POST booking seated (1 seat)': lambda i: ('POST', '/api/bookings', {"eventDateId": seated.id, "customerName": "C", "paymentSource": "card",
              "seats": [{"seatId": next(seat_iter)}]}, {**users[i % 40].auth, 'Idempotency-Key': uuid.uuid4().hex}),
    }

async def run(make, n):
    statuses = {}
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        q = asyncio.Queue()
        for i in range(n): q.put_nowait(i)
        async def worker():
            while not q.empty():
                i = q.get_nowait()
                m, path, body, headers = make(i)
                r = await client.request(m, path, json=body, headers=headers)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        await asyncio.gather(*(worker() for _ in range(C)))
    return statuses

out = {}
for name, make in kinds().items():
    asyncio.run(run(make, 20))  # warm
    n = min(N, 1500) if 'seated' not in name else min(N, 1500)
    c0, t0 = cpu(pid), time.monotonic()
    st = asyncio.run(run(make, n))
    c1, t1 = cpu(pid), time.monotonic()
    out[name] = {'requests': n, 'statuses': st, 'cpu_ms_per_request': round((c1 - c0) * 1000 / n, 2), 'wall_s': round(t1 - t0, 1)}
    print(name, out[name], flush=True)
print(json.dumps(out, indent=1))
