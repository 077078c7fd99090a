"""How a server process runs (ticketbooth/serving.py): its event loop accepts a burst of connections while it is
busy, and each response leaves in one write."""

import asyncio
import socket
import struct
import threading
import time

import uvicorn
import uvloop

from ticketbooth.serving import BatchAcceptLoop, _CoalescingTransport
from tests.support.servers import free_port

BURST = 200
TURN_S = 0.015  # each turn of the loop is kept this busy, like a worker under a flash crowd


class _Greeter(asyncio.Protocol):
    def connection_made(self, transport):
        transport.write(b"hi")


def _seconds_until_all_greeted(loop_factory) -> float:
    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_Greeter, "127.0.0.1", 0, backlog=2048)
        port = server.sockets[0].getsockname()[1]
        busy = True

        def hog():  # a turn of the loop that takes TURN_S, over and over
            time.sleep(TURN_S)
            if busy:
                loop.call_soon(hog)

        loop.call_soon(hog)
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(BURST)]
        started = time.monotonic()
        try:
            def greeted_all() -> float:
                for client in clients:
                    client.settimeout(30)
                    assert client.recv(2) == b"hi"
                return time.monotonic() - started

            return await asyncio.to_thread(greeted_all)
        finally:
            busy = False
            for client in clients:
                client.close()
            server.close()
            await server.wait_closed()

    runner = asyncio.Runner(loop_factory=loop_factory)
    try:
        return runner.run(main())
    finally:
        runner.close()


def test_a_busy_worker_accepts_a_burst_of_connections_within_a_few_turns():
    assert _seconds_until_all_greeted(BatchAcceptLoop) < 1.5  # 64 per turn: 4 turns, 0.06 s


def test_control_plain_uvloop_accepts_one_connection_per_turn():
    """The control: what the batch loop fixes is real with this uvloop (one accept per turn: 3 s here)."""
    assert _seconds_until_all_greeted(uvloop.new_event_loop) > BURST * TURN_S / 2


RESPONSES = 20
_BODY = b'{"ok":true}'
# struct tcp_info (linux/tcp.h): tcpi_data_segs_in, the segments that carried data to this socket (Linux >= 4.6)
_TCPI_DATA_SEGS_IN = 152


async def _small_json(scope, receive, send):
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(_BODY))]})
    await send({"type": "http.response.body", "body": _BODY})


def _data_segments_per_response(http: str) -> float:
    """A real uvicorn server with this HTTP protocol, as `ticketbooth serve` runs it; one keep-alive connection asks
    RESPONSES times, each answer read whole before the next request, and the client's kernel counts the segments."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(_small_json, host="127.0.0.1", port=port, lifespan="off",
                                           log_level="warning", loop="ticketbooth.serving:BatchAcceptLoop", http=http))
    thread = threading.Thread(target=server.run)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.01)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            for _ in range(RESPONSES):
                client.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
                answer = b""
                while not answer.endswith(_BODY):
                    answer += client.recv(65536)
                assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
            info = client.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 512)
        return struct.unpack_from("I", info, _TCPI_DATA_SEGS_IN)[0] / RESPONSES
    finally:
        server.should_exit = True
        thread.join()


def test_each_small_response_leaves_as_one_segment():
    assert _data_segments_per_response("ticketbooth.serving:CoalescingHttpToolsProtocol") == 1


def test_control_plain_httptools_sends_headers_and_body_apart():
    """The control: uvicorn's own protocol writes a response in two segments, and the count above sees it."""
    assert _data_segments_per_response("httptools") == 2


def _what_the_peer_reads(write_to) -> bytes:
    """Everything a peer reads, up to end of file, from a real uvloop transport wrapped as the protocol wraps it."""
    async def main():
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, ours)
        write_to(_CoalescingTransport(transport, loop))
        theirs.setblocking(False)
        received = b""
        while chunk := await asyncio.wait_for(loop.sock_recv(theirs, 65536), 10):
            received += chunk
        theirs.close()
        return received

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main())


def test_coalesced_writes_leave_in_order_before_end_of_file():
    def write(transport):
        transport.write(b"status+headers;")
        transport.writelines([b"body ", b"part 2;"])
        transport.write_eof()

    assert _what_the_peer_reads(write) == b"status+headers;body part 2;"


def test_closing_sends_what_was_gathered_first():
    def write(transport):
        transport.write(b"the last answer")
        transport.close()

    assert _what_the_peer_reads(write) == b"the last answer"
