"""The server's event loop accepts a burst of connections while it is busy (ticketbooth/serving.py)."""

import asyncio
import socket
import time

import uvloop

from ticketbooth.serving import BatchAcceptLoop

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
