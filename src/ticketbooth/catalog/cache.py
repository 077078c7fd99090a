"""Per-process caches of rendered catalog bodies: the availability of a show and the events list.

Only rendered bytes are cached, never anything a booking reads: bookings, holds and the SSE stream always go
to the database. What makes a cached availability body exact is its key, looked up on every request
(see catalog/service.py `availability_body` and docs/benchmarks.md "Availability and events caches"):

* (event date, inventory version, next hold expiry). The version is the newest availability_change id of the
  date (every sale, hold and release writes one in its own transaction); the next hold expiry is the earliest
  expiry still ahead among the date's active holds, so the key changes the moment a hold's time runs out.
* Late commits: a transaction that got a lower change id can commit after a reader saw a higher one, so the
  same key may still gain a change. Until the version is settled (see service.py) a body is reused for at
  most VOLATILE_TTL_S; after that it is valid for as long as its key is current.

Each entry keeps the JSON once, gzipped once, and an ETag; responses are conditional (If-None-Match -> 304).
Concurrent requests for the same key wait for one render (single flight), and an LRU bounds the memory.
"""

import asyncio
import gzip
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

log = logging.getLogger(__name__)

# An unsettled body (its version may still gain a late commit) is served for at most this long after its
# render started: the staleness bound of the availability cache under out-of-order commits.
VOLATILE_TTL_S = 1.0
_GZIP_LEVEL = 6
_GZIP_MIN_BYTES = 512
# A body with a time limit is rendered again in the background once this share of its lifetime has passed,
# so requests keep being served from memory (never past its limit) instead of all waiting for the render.
_REFRESH_AHEAD = 0.6


@dataclass(frozen=True, slots=True)
class Rendered:
    body: bytes
    gzipped: bytes | None  # None: too small to be worth it
    etag: str
    valid_until: float | None  # time.monotonic(); None: for as long as its key is current
    started: float = 0.0  # time.monotonic() when its render began

    def fresh(self, now: float) -> bool:
        return self.valid_until is None or now < self.valid_until

    def ageing(self, now: float) -> bool:
        """Past _REFRESH_AHEAD of its lifetime: time to render its successor in the background."""
        if self.valid_until is None:
            return False
        return now > self.started + _REFRESH_AHEAD * (self.valid_until - self.started)

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"")


def _digest_and_gzip(body: bytes) -> tuple[str, bytes | None]:
    digest = hashlib.blake2b(body, digest_size=12).hexdigest()
    gzipped = gzip.compress(body, compresslevel=_GZIP_LEVEL, mtime=0) if len(body) >= _GZIP_MIN_BYTES else None
    return digest, gzipped


async def build(body: bytes, *, etag_prefix: str, valid_until: float | None, started: float = 0.0) -> Rendered:
    """ETag and gzip once per render; large bodies are hashed and compressed off the event loop (both
    hashlib and zlib release the GIL)."""
    if len(body) > 256 * 1024:
        digest, gzipped = await asyncio.to_thread(_digest_and_gzip, body)
    else:
        digest, gzipped = _digest_and_gzip(body)
    return Rendered(body, gzipped, f'"{etag_prefix}-{digest}"', valid_until, started)


class RenderCache:
    """An LRU of rendered bodies with single-flight renders. One per process and per kind of body.

    A body rendered for a `group` (a show) replaces the group's previous body: its key (the show's inventory
    version) will not be asked for again, and a 60,000-seat show's superseded bodies, ~10 MB each, filled the
    cache's bytes with garbage."""

    def __init__(self, *, max_entries: int, max_bytes: int, max_concurrent_renders: int = 2):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        # A render of a 60,000-seat show allocates ~20 MB at its peak (the body twice): a few at once.
        self._render_slots = asyncio.Semaphore(max_concurrent_renders)
        self._entries: OrderedDict[Hashable, Rendered] = OrderedDict()
        self._bytes = 0
        self._inflight: dict[Hashable, asyncio.Task] = {}
        self._group_of: dict[Hashable, Hashable] = {}  # key -> group, for the entries stored with one
        self._key_of: dict[Hashable, Hashable] = {}  # group -> the key of its entry
        self.renders = 0  # for tests and curiosity

    async def get(self, key: Hashable, render: Callable[[], Awaitable[Rendered]], *,
                  group: Hashable | None = None) -> Rendered:
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry.fresh(now):
            self._entries.move_to_end(key)
            if entry.ageing(now) and key not in self._inflight:
                self._start(key, render, group)  # its successor; this one is still within its limit
            return entry
        task = self._inflight.get(key) or self._start(key, render, group)
        return await asyncio.shield(task)

    def _start(self, key: Hashable, render: Callable[[], Awaitable[Rendered]], group: Hashable | None) -> asyncio.Task:
        # A task of its own: a client that disconnects must not cancel the render others wait for.
        task = asyncio.create_task(self._fill(key, render, group))
        self._inflight[key] = task
        task.add_done_callback(self._done)
        return task

    async def _fill(self, key: Hashable, render: Callable[[], Awaitable[Rendered]], group: Hashable | None) -> Rendered:
        try:
            async with self._render_slots:
                self.renders += 1
                entry = await render()
            self._store(key, entry, group)
            return entry
        finally:
            self._inflight.pop(key, None)

    @staticmethod
    def _done(task: asyncio.Task) -> None:
        if not task.cancelled():
            task.exception()  # retrieved here: the waiters (if any are left) re-raise it themselves

    def _store(self, key: Hashable, entry: Rendered, group: Hashable | None) -> None:
        self._drop(key)
        if group is not None:
            if (superseded := self._key_of.get(group)) is not None:
                self._drop(superseded)
            self._key_of[group], self._group_of[key] = key, group
        self._entries[key] = entry
        self._bytes += entry.size
        while len(self._entries) > 1 and (len(self._entries) > self.max_entries or self._bytes > self.max_bytes):
            self._drop(next(iter(self._entries)))

    def _drop(self, key: Hashable) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old.size
        group = self._group_of.pop(key, None)
        if group is not None and self._key_of.get(group) == key:
            del self._key_of[group]

    def clear(self) -> None:
        self._entries.clear()
        self._group_of.clear()
        self._key_of.clear()
        self._bytes = 0


def accepts_gzip(request: Request) -> bool:
    for part in request.headers.get("accept-encoding", "").split(","):
        coding, _, params = part.partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip"):
            q = params.strip().lower()
            if q.startswith("q="):
                try:
                    return float(q[2:]) > 0
                except ValueError:
                    return False
            return True
    return False


def _gzip_etag(etag: str) -> str:
    return etag[:-1] + '-gz"'


def _matches(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    candidates = {etag, _gzip_etag(etag)}  # the same content in either encoding (weak comparison)
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") in candidates:
            return True
    return False


def respond(request: Request, entry: Rendered) -> Response:
    """200 with the pre-rendered (and, when accepted, pre-compressed) bytes, or 304 when the client has them."""
    use_gzip = entry.gzipped is not None and accepts_gzip(request)
    etag = _gzip_etag(entry.etag) if use_gzip else entry.etag
    headers = {"ETag": etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if _matches(request, entry.etag):
        return Response(status_code=304, headers=headers)
    if use_gzip:
        headers["Content-Encoding"] = "gzip"
        return Response(entry.gzipped, media_type="application/json", headers=headers)
    return Response(entry.body, media_type="application/json", headers=headers)


def caches_of(request: Request) -> tuple[RenderCache, RenderCache]:
    """(availability cache, events-list cache) of this process's app, created on first use."""
    state = request.app.state
    caches = getattr(state, "catalog_caches", None)
    if caches is None:
        # A 60,000-seat show is ~10 MB of JSON plus ~1 MB gzipped: two of them per process, with smaller shows.
        caches = (RenderCache(max_entries=8, max_bytes=24 * 1024 * 1024), RenderCache(max_entries=1, max_bytes=1 << 62))
        state.catalog_caches = caches
    return caches
