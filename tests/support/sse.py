"""A Server-Sent Events subscriber running in a thread, recording when each event arrived."""

import json
import queue
import threading
import time
from dataclasses import dataclass

import httpx


@dataclass
class Event:
    id: str | None
    event: str
    data: dict
    received_at: float


class SseSubscriber:
    def __init__(self, url: str, headers: dict | None = None):
        self.events: queue.Queue[Event] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(url, headers or {}), daemon=True)
        self._thread.start()

    def _run(self, url: str, headers: dict) -> None:
        try:
            self._read(url, headers)
        except httpx.TransportError:
            if not self._stop.is_set():
                raise

    def _read(self, url: str, headers: dict) -> None:
        with httpx.stream("GET", url, headers=headers, timeout=httpx.Timeout(10, read=None)) as response:
            fields: dict[str, str] = {}
            for line in response.iter_lines():
                if self._stop.is_set():
                    return
                if line == "":
                    if "data" in fields:
                        self.events.put(Event(fields.get("id"), fields.get("event", "message"),
                                              json.loads(fields["data"]), time.monotonic()))
                    fields = {}
                elif not line.startswith(":") and ":" in line:
                    key, _, value = line.partition(":")
                    fields[key] = fields.get(key, "") + value.removeprefix(" ")

    def next(self, timeout: float = 10) -> Event:
        return self.events.get(timeout=timeout)

    def wait_for(self, predicate, timeout: float = 10) -> Event:
        deadline = time.monotonic() + timeout
        while True:
            event = self.next(max(0.01, deadline - time.monotonic()))
            if predicate(event):
                return event

    def close(self) -> None:
        """Stop listening; the daemon thread hangs up when the next message or the server's shutdown arrives."""
        self._stop.set()
