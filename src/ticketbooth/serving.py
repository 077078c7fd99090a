"""How a server process runs: its event loop, and its garbage collector.

The loop is uvloop, except that new connections are accepted many per turn. libuv, under uvloop, accepts one
connection per turn of the event loop (since libuv 1.45: it relies on the listening socket staying readable). A
turn of a worker busy with a flash crowd takes tens of milliseconds, so a burst of new connections waited in the
kernel's accept queue for seconds before their first request was read: 1,024 buyers connecting at once drained
at 10-200 connections/s, and the last ones' first bookings took 5-7 s. Here the listening socket is an ordinary
reader of the loop, and each turn accepts up to _ACCEPT_BATCH waiting connections; the connections then run on
uvloop's transports as before. The batch is small so that two workers sharing the socket split a burst: a
worker taking up to 512 per turn once took 1,019 of 1,024. (asyncio's own loop, which accepts in batches too,
runs the booking path at well under half of uvloop's rate.)

Each response leaves in one write: see CoalescingHttpToolsProtocol.

The garbage collector: see tune_garbage_collector.
"""

import asyncio
import errno
import gc
import logging
import socket

import uvloop
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger(__name__)

_ACCEPT_BATCH = 16
_RESOURCE_ERRORS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
_PAUSE_WHEN_OUT_OF_RESOURCES_S = 1.0


class BatchAcceptLoop(uvloop.Loop):
    """uvicorn's `loop` setting takes this class: it is the factory of the loop of each worker process."""

    async def create_server(self, protocol_factory, host=None, port=None, *, sock=None, backlog=100, ssl=None,
                            **kwargs):
        if ssl is not None or kwargs:  # not what `ticketbooth serve` asks for: uvloop's own server
            return await super().create_server(protocol_factory, host, port, sock=sock, backlog=backlog, ssl=ssl,
                                               **kwargs)
        server = _BatchAcceptServer(self, [sock] if sock is not None else _listening_sockets(host, port),
                                    protocol_factory)
        for listening in server.sockets:
            listening.listen(backlog)
            listening.setblocking(False)
        server.start()
        return server


def _listening_sockets(host: str | None, port: int) -> list[socket.socket]:
    """One socket per address of `host` ("localhost": 127.0.0.1 and ::1), as asyncio's create_server binds."""
    sockets = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(
            socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        ):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class _BatchAcceptServer(asyncio.AbstractServer):
    def __init__(self, loop: uvloop.Loop, sockets: list[socket.socket], protocol_factory):
        self._loop = loop
        self._sockets = sockets
        self._protocol_factory = protocol_factory
        self._opening: set[asyncio.Task] = set()

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return tuple(self._sockets)

    def start(self) -> None:
        for sock in self._sockets:
            self._loop.add_reader(sock.fileno(), self._accept, sock)

    def _accept(self, sock: socket.socket) -> None:
        for _ in range(_ACCEPT_BATCH):
            try:
                conn, _ = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            except OSError as exc:
                if exc.errno not in _RESOURCE_ERRORS:
                    raise
                # The socket stays readable: without a pause the loop would spin on accept().
                log.error("cannot accept connections (%s); trying again in %.0f s", exc,
                          _PAUSE_WHEN_OUT_OF_RESOURCES_S)
                self._loop.remove_reader(sock.fileno())
                self._loop.call_later(_PAUSE_WHEN_OUT_OF_RESOURCES_S, self._resume, sock)
                return
            conn.setblocking(False)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            task = self._loop.create_task(self._loop.connect_accepted_socket(self._protocol_factory, conn))
            self._opening.add(task)
            task.add_done_callback(self._opened)

    def _resume(self, sock: socket.socket) -> None:
        if sock in self._sockets:  # not closed meanwhile
            self._loop.add_reader(sock.fileno(), self._accept, sock)

    def _opened(self, task: asyncio.Task) -> None:
        self._opening.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("an accepted connection could not be opened: %r", task.exception())

    def close(self) -> None:
        for sock in self._sockets:
            self._loop.remove_reader(sock.fileno())
            sock.close()  # this process's descriptor only: other workers keep listening on theirs
        self._sockets = []

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def is_serving(self) -> bool:
        return bool(self._sockets)

    async def wait_closed(self) -> None:
        if self._opening:
            await asyncio.gather(*self._opening, return_exceptions=True)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's `http` setting takes this class: uvicorn's httptools protocol, whose writes to a connection are
    gathered for the rest of the current turn of the event loop and sent as one.

    uvicorn writes a response's status line and headers as soon as the app starts the response, and its body
    with a second write right after, so every small response left as two TCP segments: two send() calls here,
    and a client woken twice for one answer. With one write a plain FastAPI app answered 45 % more requests/s on
    this 2-core box (docs/benchmarks.md, "Eighth round"); aiohttp coalesces the same way. A write waits for at most
    the end of the turn that made it, so streamed responses (server-sent events) still leave promptly."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_CoalescingTransport(transport, self.loop))


class _CoalescingTransport:
    """A connection's transport whose writes within one turn of the loop leave together, in their order."""

    __slots__ = ("_transport", "_loop", "_pending")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] | None = None

    def write(self, data: bytes) -> None:
        if self._pending is None:
            self._pending = [data]
            self._loop.call_soon(self._flush)
        else:
            self._pending.append(data)

    def _flush(self) -> None:
        pending, self._pending = self._pending, None
        if pending and not self._transport.is_closing():
            self._transport.write(b"".join(pending))

    def writelines(self, chunks) -> None:
        self.write(b"".join(chunks))

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str):  # the rest of the transport's interface, as it is
        return getattr(self._transport, name)


# Young collections at 50,000 allocations instead of 700: see tune_garbage_collector.
_YOUNG_COLLECTION_THRESHOLD = 50_000


def tune_garbage_collector() -> None:
    """Called once the app has started: what exists now (modules, routes, schemas, compiled statements) lives as
    long as the process, so it is frozen out of every later collection; and young collections run less often.

    With the defaults a 1,024-connection flash crowd triggered a full collection about every second per process,
    each 100-180 ms with the event loop stopped, and none of them found garbage: the objects of a request waiting
    for its group survive a few young collections and get promoted, which is what triggers full ones. Figures in
    docs/benchmarks.md ("Fourth round")."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(_YOUNG_COLLECTION_THRESHOLD, middle, old)
