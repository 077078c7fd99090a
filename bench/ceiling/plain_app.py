"""The HTTP ceiling of the benchmark: plain FastAPI on uvicorn, one GET returning small JSON, nothing else.

The issue's reference figure (~15,000 requests/s with 2 workers on its 2-core box) was measured this way. The
harness runs it in the same run as the service (`bench/run`, ceilings), so a booking's figures can be read against
what this box's HTTP stack does at all, as the database ceilings do for the database's share."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/plain")
async def plain() -> dict:
    return {"id": 1, "title": "Ticketbooth", "onSale": True}
