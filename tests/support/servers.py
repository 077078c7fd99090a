"""Real HTTP server processes (uvicorn) against a test database."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
# Rate limits out of the way of tests that are not about them (races send hundreds of requests from one IP);
# the rate-limit tests start their own servers with small limits.
GENEROUS_RATE_LIMITS = {
    f"TICKETBOOTH_RATE_LIMIT_{rule}": "1000000/minute"
    for rule in ("LOGIN", "LOGIN_FAILURES", "SIGNUP", "BOOKINGS_IP", "BOOKINGS_USER", "HOLDS_IP", "HOLDS_USER")
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    def __init__(self, database_url: str, *, app: str = "ticketbooth.app:create_app", env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = REPO / "var" / "test-logs" / f"server-{self.port}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        full_env = {
            **GENEROUS_RATE_LIMITS,
            **os.environ,
            "TICKETBOOTH_DATABASE_URL": database_url,
            "TICKETBOOTH_WEB_DIST": "/nonexistent",
            # Many server processes share one database server during a run: stay well inside max_connections.
            "TICKETBOOTH_DB_POOL_SIZE": "8",
            "TICKETBOOTH_DB_MAX_OVERFLOW": "8",
            # Race tests queue hundreds of requests on those connections, on a 2-core machine.
            "TICKETBOOTH_DB_POOL_TIMEOUT_S": "60",
            **(env or {}),
        }
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1", "--port", str(self.port),
             "--no-access-log", "--log-level", "warning",
             # the event loop and HTTP protocol of `ticketbooth serve` (cli.py)
             "--loop", "ticketbooth.serving:BatchAcceptLoop",
             "--http", "ticketbooth.serving:CoalescingHttpToolsProtocol"],
            env=full_env, cwd=REPO, stdout=self._log, stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 90) -> "ServerProcess":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_path.read_text()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code in (200, 503):
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()
