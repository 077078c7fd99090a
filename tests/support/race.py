"""Fire many HTTP requests at the same moment, spread over one or more server processes."""

import asyncio
from dataclasses import dataclass

import httpx


@dataclass
class Outcome:
    status: int
    body: dict


@dataclass
class Call:
    method: str
    path: str
    headers: dict
    json: dict | None = None


def race(urls: list[str], requests: list[tuple[dict, dict]], path: str = "/api/bookings") -> list[Outcome]:
    """POST every (headers, json) in `requests` concurrently, round-robin over `urls`; outcomes in request order."""
    return race_calls(urls, [Call("POST", path, headers, body) for headers, body in requests])


def race_calls(urls: list[str], calls: list[Call]) -> list[Outcome]:
    """Send every call at the same moment, round-robin over `urls`; outcomes in call order."""
    requests = calls

    async def main() -> list[Outcome]:
        limits = httpx.Limits(max_connections=len(requests), max_keepalive_connections=len(requests))
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            start = asyncio.Event()

            async def one(i: int, call: Call) -> Outcome:
                await start.wait()
                response = await client.request(call.method, f"{urls[i % len(urls)]}{call.path}",
                                                headers=call.headers, json=call.json)
                return Outcome(response.status_code, response.json() if response.content else {})

            tasks = [asyncio.create_task(one(i, call)) for i, call in enumerate(requests)]
            await asyncio.sleep(0.05)  # every task is parked on the event before the gun goes off
            start.set()
            return await asyncio.gather(*tasks)

    return asyncio.run(main())
