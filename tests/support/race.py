"""Fire many HTTP requests at the same moment, spread over one or more server processes."""

import asyncio
from dataclasses import dataclass

import httpx


@dataclass
class Outcome:
    status: int
    body: dict


def race(urls: list[str], requests: list[tuple[dict, dict]], path: str = "/api/bookings") -> list[Outcome]:
    """POST every (headers, json) in `requests` concurrently, round-robin over `urls`; outcomes in request order."""

    async def main() -> list[Outcome]:
        limits = httpx.Limits(max_connections=len(requests), max_keepalive_connections=len(requests))
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            start = asyncio.Event()

            async def one(i: int, headers: dict, body: dict) -> Outcome:
                await start.wait()
                response = await client.post(f"{urls[i % len(urls)]}{path}", headers=headers, json=body)
                return Outcome(response.status_code, response.json())

            tasks = [asyncio.create_task(one(i, h, b)) for i, (h, b) in enumerate(requests)]
            await asyncio.sleep(0.05)  # every task is parked on the event before the gun goes off
            start.set()
            return await asyncio.gather(*tasks)

    return asyncio.run(main())
