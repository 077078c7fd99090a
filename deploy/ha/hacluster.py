#!/usr/bin/env python3
"""A 3-node PostgreSQL cluster under Patroni, with etcd and HAProxy, on 127.0.0.1 -- for tests and demos.

Standard library only, so it runs under /usr/bin/python3 and under the project's venv alike (the test
imports it). Usage:

    hacluster.py up [--root DIR] [--port-base N] [--install]   bring up, wait until healthy, print the URLs
    hacluster.py status --root DIR                             members, roles, lag
    hacluster.py wait-healthy --root DIR [--timeout S]
    hacluster.py kill --root DIR --what node|postmaster        fault on the current primary (SIGKILL)
    hacluster.py start-node --root DIR --node n1               restart a killed node's Patroni (it rejoins)
    hacluster.py switchover --root DIR                         planned switchover to the sync standby
    hacluster.py down --root DIR [--keep-logs DEST]            stop what `up` started, by PID; remove DIR

Layout (port base B, default: the first free block from 25400): HAProxy primary B, HAProxy replicas B+1,
etcd client/peer B+2/B+3, PostgreSQL n1..n3 B+11..B+13, Patroni REST n1..n3 B+21..B+23. Nothing touches
the system services (PostgreSQL 5432, MariaDB 3306, Redis 6379) or their sockets and data.

Every daemon runs as the `postgres` user (PostgreSQL refuses root, and Patroni execs postgres itself);
`setpriv` execs, so the PID we record is the daemon's own. Teardown signals only PIDs recorded in DIR whose
command line names DIR, so it can never hit another engineer's processes.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
PG_BIN = Path(os.environ.get("TICKETBOOTH_HA_PG_BIN", "/usr/lib/postgresql/15/bin"))
AS_POSTGRES = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]
NODES = ("n1", "n2", "n3")
APT_PACKAGES = ["patroni", "etcd-server", "etcd-client", "haproxy", "python3-etcd", "python3-psycopg2"]
COMMANDS = ("patroni", "patronictl", "etcd", "etcdctl", "haproxy", "setpriv")


class ClusterError(RuntimeError):
    pass


def log(msg: str) -> None:
    print(f"[hacluster {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------- packages


def missing_commands() -> list[str]:
    return [c for c in COMMANDS if shutil.which(c) is None] + (
        [] if (PG_BIN / "postgres").exists() else [str(PG_BIN / "postgres")]
    )


def ensure_packages(install: bool = True) -> None:
    """Install Debian's patroni, etcd and haproxy when missing (root only; apt is shared, so take its lock)."""
    if not missing_commands():
        return
    if not install or os.geteuid() != 0:
        raise ClusterError(f"missing {missing_commands()}; as root: apt-get install {' '.join(APT_PACKAGES)}")
    log(f"installing {' '.join(APT_PACKAGES)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    lock = ["flock", "/tmp/apt.lock", "apt-get", "-o", "DPkg::Lock::Timeout=900"]
    subprocess.run([*lock, "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run([*lock, "install", "-y", "-qq", "--no-install-recommends", *APT_PACKAGES], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    # The packages ship systemd units; there is no systemd here and policy-rc.d keeps them from starting,
    # so nothing comes up on the default ports (2379, 8008, 5432).
    if missing_commands():
        raise ClusterError(f"still missing after apt-get install: {missing_commands()}")


# ---------------------------------------------------------------------------------------------- ports


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def layout(base: int) -> dict[str, int]:
    ports = {"primary_port": base, "replica_port": base + 1, "etcd_port": base + 2, "etcd_peer_port": base + 3}
    for i, node in enumerate(NODES, start=1):
        ports[f"pg_port_{i}"] = base + 10 + i
        ports[f"rest_port_{i}"] = base + 20 + i
    return ports


def find_port_base(start: int = 25400, step: int = 30, tries: int = 100) -> int:
    for k in range(tries):
        base = start + k * step
        if all(_port_free(p) for p in layout(base).values()):
            return base
    raise ClusterError("no free block of ports for the cluster")


# ---------------------------------------------------------------------------------------------- processes


def _proc_state(pid: int) -> str | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("State:"):
                return line.split()[1]
    except OSError:
        return None
    return None


def alive(pid: int | None) -> bool:
    """Running and not a zombie (PID 1 here may not reap orphans, and kill(pid, 0) succeeds on zombies)."""
    return bool(pid) and _proc_state(pid) not in (None, "Z", "X")


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class Cluster:
    def __init__(self, root: Path, state: dict):
        self.root = root
        self.state = state
        self.ports: dict[str, int] = state["ports"]
        self._children: dict[str, subprocess.Popen] = {}  # reaped by us when we started them in-process

    # ------------------------------------------------------------------ creation and configuration

    @classmethod
    def create(cls, root: Path | None = None, port_base: int | None = None, owner_pid: int | None = None
               ) -> "Cluster":
        root = Path(root) if root else Path(tempfile.mkdtemp(prefix="ticketbooth-ha-"))
        root.mkdir(parents=True, exist_ok=True)
        base = port_base or find_port_base()
        state = {
            "ports": layout(base),
            "passwords": {k: secrets.token_hex(12) for k in ("superuser", "replication", "rewind")},
            # Set by a test: when that process is gone (killed before its teardown), sweep_orphans() may
            # stop this cluster. Clusters from up.sh have no owner and are never swept.
            "owner_pid": owner_pid,
        }
        cluster = cls(root, state)
        cluster._render()
        return cluster

    @classmethod
    def load(cls, root: Path) -> "Cluster":
        root = Path(root)
        return cls(root, json.loads((root / "cluster.json").read_text()))

    def _render(self) -> None:
        for sub in ("etcd", "log", "run", *NODES):
            (self.root / sub).mkdir(exist_ok=True)
        pw = self.state["passwords"]
        for i, node in enumerate(NODES, start=1):
            text = string.Template((HERE / "patroni.yml.in").read_text()).substitute(
                name=node, rest_port=self.ports[f"rest_port_{i}"], pg_port=self.ports[f"pg_port_{i}"],
                etcd_port=self.ports["etcd_port"], node_dir=self.root / node, pg_bin=PG_BIN,
                superuser_password=pw["superuser"], replication_password=pw["replication"],
                rewind_password=pw["rewind"],
            )
            (self.root / f"{node}.yml").write_text(text)
        haproxy = string.Template((HERE / "haproxy.cfg.in").read_text()).substitute(self.ports)
        (self.root / "haproxy.cfg").write_text(haproxy)
        self.save()
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "postgres:postgres", str(self.root)], check=True)
        for path in [self.root, *(self.root / n for n in NODES), self.root / "etcd"]:
            path.chmod(0o700)  # PostgreSQL and etcd insist on private data folders
        (self.root / "cluster.json").chmod(0o600)

    def save(self) -> None:
        (self.root / "cluster.json").write_text(json.dumps(self.state, indent=1))

    # ------------------------------------------------------------------ URLs

    def url(self, driver: str = "postgresql+asyncpg", database: str = "postgres", *, replica: bool = False) -> str:
        port = self.ports["replica_port" if replica else "primary_port"]
        return f"{driver}://postgres:{self.state['passwords']['superuser']}@127.0.0.1:{port}/{database}"

    def rest_port(self, node: str) -> int:
        return self.ports[f"rest_port_{NODES.index(node) + 1}"]

    # ------------------------------------------------------------------ starting

    def _spawn(self, name: str, argv: list[str], log_name: str) -> int:
        logf = open(self.root / "log" / log_name, "ab")
        prefix = AS_POSTGRES if os.geteuid() == 0 else []
        proc = subprocess.Popen([*prefix, *argv], stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)  # our Ctrl-C must not reach the daemons directly
        logf.close()
        self._children[name] = proc
        (self.root / "run" / f"{name}.pid").write_text(str(proc.pid))
        return proc.pid

    def pid(self, name: str) -> int | None:
        try:
            return int((self.root / "run" / f"{name}.pid").read_text())
        except (OSError, ValueError):
            return None

    def start(self, timeout: float = 180) -> "Cluster":
        deadline = time.monotonic() + timeout
        p = self.ports
        self._spawn("etcd", [
            "etcd", "--name", "e1", "--data-dir", str(self.root / "etcd"),
            "--listen-client-urls", f"http://127.0.0.1:{p['etcd_port']}",
            "--advertise-client-urls", f"http://127.0.0.1:{p['etcd_port']}",
            "--listen-peer-urls", f"http://127.0.0.1:{p['etcd_peer_port']}",
            "--initial-advertise-peer-urls", f"http://127.0.0.1:{p['etcd_peer_port']}",
            "--initial-cluster", f"e1=http://127.0.0.1:{p['etcd_peer_port']}",
            "--initial-cluster-state", "new", "--initial-cluster-token", f"tb-{self.root.name}",
            "--enable-v2=false", "--logger=zap", "--log-outputs=stderr",
        ], "etcd.log")
        self._wait(lambda: _http_json(f"http://127.0.0.1:{p['etcd_port']}/health")[0] == 200, deadline, "etcd")
        # n1 first, alone, until it leads: it runs initdb and wins the initialize race deterministically;
        # n2 and n3 then clone it with pg_basebackup.
        self.start_node("n1")
        self._wait(lambda: self.rest("n1", "/primary")[0] == 200, deadline, "n1 to bootstrap and lead")
        self.start_node("n2")
        self.start_node("n3")
        self._spawn("haproxy", ["haproxy", "-db", "-f", str(self.root / "haproxy.cfg")], "haproxy.log")
        self.wait_healthy(max(10.0, deadline - time.monotonic()))
        return self

    def start_node(self, node: str) -> int:
        return self._spawn(f"patroni-{node}", ["patroni", str(self.root / f"{node}.yml")], f"{node}.log")

    def _wait(self, check, deadline: float, what: str) -> None:
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.2)
        raise ClusterError(f"timed out waiting for {what}; logs in {self.root / 'log'}")

    # ------------------------------------------------------------------ observing

    def rest(self, node: str, path: str) -> tuple[int | None, object]:
        return _http_json(f"http://127.0.0.1:{self.rest_port(node)}{path}")

    def members(self) -> list[dict] | None:
        """Patroni's view of the cluster (GET /cluster), asked of any node that answers."""
        for node in NODES:
            status, body = self.rest(node, "/cluster")
            if status == 200 and isinstance(body, dict):
                return body.get("members", [])
        return None

    def primary(self) -> str | None:
        for node in NODES:
            if self.rest(node, "/primary")[0] == 200:
                return node
        return None

    def sync_standby(self) -> str | None:
        for m in self.members() or []:
            if m.get("role") == "sync_standby":
                return m["name"]
        return None

    def health(self, max_lag: int = 0) -> tuple[bool, str]:
        members = self.members()
        if members is None:
            return False, "no Patroni REST API answers"
        running = [m for m in members if m.get("state") in ("running", "streaming")]
        leaders = [m for m in running if m.get("role") == "leader"]
        syncs = [m for m in running if m.get("role") == "sync_standby"]
        replicas = [m for m in running if m.get("role") in ("replica", "sync_standby")]
        lagging = [m for m in replicas if not isinstance(m.get("lag"), int) or m["lag"] > max_lag]
        ok = len(members) == 3 and len(leaders) == 1 and len(syncs) == 1 and len(replicas) == 2 and not lagging
        summary = ", ".join(f"{m['name']}:{m.get('role')}/{m.get('state')}/lag={m.get('lag')}" for m in members)
        return ok, summary

    def sql(self, query: str, *, replica: bool = False, timeout: float = 5) -> str | None:
        """Run one query through HAProxy with psql; None when it fails."""
        port = self.ports["replica_port" if replica else "primary_port"]
        env = {**os.environ, "PGPASSWORD": self.state["passwords"]["superuser"], "PGCONNECT_TIMEOUT": "2"}
        try:
            out = subprocess.run([str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                                  "-d", "postgres", "-tAXc", query], env=env, capture_output=True, text=True,
                                 timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    def wait_healthy(self, timeout: float = 120, max_lag: int = 0) -> float:
        """Wait for 3 members, a running leader, a sync standby, replicas within max_lag, and HAProxy routing
        writes to the leader and reads to a replica. Returns the seconds waited."""
        t0 = time.monotonic()
        summary = ""
        while time.monotonic() - t0 < timeout:
            ok, summary = self.health(max_lag)
            if ok and self.sql("SELECT pg_is_in_recovery()") == "f" \
                    and self.sql("SELECT pg_is_in_recovery()", replica=True) == "t":
                return time.monotonic() - t0
            time.sleep(0.3)
        raise ClusterError(f"cluster not healthy after {timeout:.0f}s: {summary}; logs in {self.root / 'log'}")

    def postmaster_pid(self, node: str) -> int | None:
        try:
            pid = int((self.root / node / "data" / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if alive(pid) and str(self.root / node) in _cmdline(pid) else None

    # ------------------------------------------------------------------ faults

    def kill_node(self, node: str) -> None:
        """Machine loss: SIGKILL the node's Patroni and its postmaster at the same moment (no clean demotion,
        the leader key must expire before a standby is promoted)."""
        pids = [self.postmaster_pid(node), self._our_pid(f"patroni-{node}")]
        for pid in pids:
            if pid:
                os.kill(pid, signal.SIGKILL)
        self._reap()

    def kill_postmaster(self, node: str) -> None:
        """PostgreSQL crash with Patroni alive: Patroni restarts it in place (primary_start_timeout)."""
        pid = self.postmaster_pid(node)
        if not pid:
            raise ClusterError(f"no postmaster running for {node}")
        os.kill(pid, signal.SIGKILL)

    def walreceivers(self) -> list[int]:
        """PIDs of the replicas' WAL receivers (children of their postmasters)."""
        postmasters = {self.postmaster_pid(n) for n in NODES} - {None}
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid in postmasters and "walreceiver" in _cmdline(int(entry.name)):
                found.append(int(entry.name))
        return found

    def switchover(self, candidate: str | None = None) -> subprocess.CompletedProcess:
        leader = self.primary()
        candidate = candidate or self.sync_standby()
        if not leader or not candidate:
            raise ClusterError(f"switchover needs a leader and a candidate (leader={leader}, sync={candidate})")
        return subprocess.run(["patronictl", "-c", str(self.root / "n1.yml"), "switchover", "--leader", leader,
                               "--candidate", candidate, "--force"], capture_output=True, text=True, timeout=120)

    # ------------------------------------------------------------------ teardown

    def _our_pid(self, name: str) -> int | None:
        """The recorded PID, only if that process is alive and is really ours (its command line names our
        folder): a PID file never makes us signal a recycled PID."""
        pid = self.pid(name)
        return pid if pid and alive(pid) and str(self.root) in _cmdline(pid) else None

    def _reap(self) -> None:
        for proc in self._children.values():
            proc.poll()

    def stop(self, timeout: float = 30, fast: bool = False) -> None:
        """Stop HAProxy and the Patronis (each stops its PostgreSQL), then any orphaned postmaster, then etcd.
        fast: the data is about to be thrown away, so SIGKILL HAProxy and Patroni and stop PostgreSQL with an
        immediate shutdown instead of waiting for checkpoints and leader-key cleanup."""
        names = ["haproxy", *(f"patroni-{n}" for n in NODES)]
        for name in names:
            pid = self._our_pid(name)
            if pid:
                os.kill(pid, signal.SIGKILL if fast else signal.SIGTERM)
        self._wait_gone(names, timeout)
        for node in NODES:  # a postmaster whose Patroni was SIGKILLed, or that outlived its Patroni
            pid = self.postmaster_pid(node)
            if pid:
                os.kill(pid, signal.SIGQUIT)  # immediate shutdown: the data is thrown away next
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(self.postmaster_pid(n) for n in NODES):
            time.sleep(0.1)
        for node in NODES:
            pid = self.postmaster_pid(node)
            if pid:
                os.kill(pid, signal.SIGKILL)
        pid = self._our_pid("etcd")
        if pid:
            os.kill(pid, signal.SIGTERM)
        self._wait_gone(["etcd"], 10)

    def _wait_gone(self, names: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._reap()
            if not any(self._our_pid(n) for n in names):
                return
            time.sleep(0.1)
        for name in names:
            pid = self._our_pid(name)
            if pid:
                log(f"{name} ({pid}) ignored SIGTERM for {timeout:.0f}s: SIGKILL")
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
        self._reap()

    def leftovers(self) -> list[str]:
        """Processes whose command line still names our folder (should be none after stop())."""
        out = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid() or not alive(int(entry.name)):
                continue
            cmd = _cmdline(int(entry.name))
            if str(self.root) in cmd and "hacluster.py" not in cmd:  # not this tool's own command line
                out.append(f"{entry.name} {cmd[:120]}")
        return out

    def down(self, keep_logs: Path | None = None, remove: bool = True, fast: bool = False) -> None:
        try:
            self.stop(fast=fast)
        finally:
            if keep_logs:
                shutil.copytree(self.root / "log", keep_logs, dirs_exist_ok=True)
            left = self.leftovers()
            if left:
                log(f"still running after teardown: {left}")
            elif remove:
                shutil.rmtree(self.root, ignore_errors=True)


def sweep_orphans() -> list[str]:
    """Stop clusters whose owning test process died before tearing them down (e.g. a CI job killed)."""
    swept = []
    for root in Path(tempfile.gettempdir()).glob("ticketbooth-ha-*"):
        try:
            owner = json.loads((root / "cluster.json").read_text()).get("owner_pid")
        except (OSError, ValueError):
            continue
        if owner and not alive(owner):
            Cluster.load(root).down(fast=True)
            swept.append(str(root))
    return swept


def _http_json(url: str, timeout: float = 1.0) -> tuple[int | None, object]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        return e.code, None
    except Exception:  # refused, reset, timeout, bad JSON: "not answering" is all the caller needs
        return None, None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["up", "down", "status", "wait-healthy", "kill", "start-node", "switchover"])
    ap.add_argument("--root", type=Path)
    ap.add_argument("--port-base", type=int)
    ap.add_argument("--install", action="store_true", help="apt-get install the packages when missing (root)")
    ap.add_argument("--timeout", type=float, default=180)
    ap.add_argument("--what", choices=["node", "postmaster"], default="node")
    ap.add_argument("--node")
    ap.add_argument("--keep-logs", type=Path)
    ap.add_argument("--fast", action="store_true", help="down: SIGKILL Patroni, immediate PostgreSQL shutdown")
    a = ap.parse_args(argv)

    if a.command == "up":
        ensure_packages(install=a.install)
        t0 = time.monotonic()
        cluster = Cluster.create(a.root, a.port_base)
        try:
            cluster.start(a.timeout)
        except BaseException:
            cluster.down(keep_logs=a.keep_logs, remove=False)
            raise
        log(f"healthy after {time.monotonic() - t0:.1f}s: {cluster.health()[1]}")
        print(f"TICKETBOOTH_HA_ROOT={cluster.root}")
        print(f"TICKETBOOTH_DATABASE_URL={cluster.url(database='ticketbooth')}")
        print(f"TICKETBOOTH_DATABASE_REPLICA_URL={cluster.url(database='ticketbooth', replica=True)}")
        return 0
    if a.root is None:
        ap.error("--root is required")
    cluster = Cluster.load(a.root)
    if a.command == "down":
        cluster.down(keep_logs=a.keep_logs, fast=a.fast)
    elif a.command == "status":
        ok, summary = cluster.health()
        print(json.dumps({"healthy": ok, "primary": cluster.primary(), "members": cluster.members()}, indent=1))
    elif a.command == "wait-healthy":
        print(f"healthy after {cluster.wait_healthy(a.timeout):.1f}s")
    elif a.command == "kill":
        node = a.node or cluster.primary()
        if not node:
            raise ClusterError("no primary to kill")
        (cluster.kill_node if a.what == "node" else cluster.kill_postmaster)(node)
        print(f"killed {a.what} of {node} at {time.time():.3f}")
    elif a.command == "start-node":
        print(cluster.start_node(a.node))
    elif a.command == "switchover":
        result = cluster.switchover()
        print(result.stdout + result.stderr)
        return result.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
