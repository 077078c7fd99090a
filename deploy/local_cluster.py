"""The compose topology on one machine, without Docker: N `ticketbooth serve` processes on one database,
behind Debian's nginx (its own config, pid, logs and temp files in a state folder; the system nginx is
never touched).

    deploy/local-cluster up [--instances 3] [--port 8080] [--database-url URL] [--seed-demo]
                            [--no-catalog-cache] [--state-dir DIR]
    deploy/local-cluster status | rolling-restart | down [--state-dir DIR]
    deploy/local-cluster drain N | undrain N [--state-dir DIR]

`up` runs the migrations once, starts the instances (each `ticketbooth serve --no-seed` on its own port),
waits until every one answers /health with 200, then starts nginx. The database comes from
--database-url or TICKETBOOTH_DATABASE_URL (PostgreSQL is the production choice; a SQLite file works for
a demo). Other TICKETBOOTH_* variables in the environment reach every instance.

`rolling-restart` replaces the instances one at a time without failing a request: take the instance out of
nginx (reload; wait until no nginx worker of the old config is left), SIGTERM it (uvicorn finishes what it
has in flight), start it again, wait for /health, put it back, next one.

The state folder (default: a new folder under /tmp, remembered in var/local-cluster.path) holds
cluster.json, nginx.conf, nginx-*.log and instance-N.log.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NGINX = os.environ.get("TICKETBOOTH_NGINX", "/usr/sbin/nginx")
POINTER = REPO / "var" / "local-cluster.path"
LOCATIONS = REPO / "deploy" / "nginx-locations.conf"


def log(message: str) -> None:
    print(f"local-cluster: {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (exited, not yet reaped) is not alive
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


class Cluster:
    def __init__(self, state_dir: Path):
        self.dir = state_dir
        self.state_file = state_dir / "cluster.json"
        self.state: dict = json.loads(self.state_file.read_text()) if self.state_file.exists() else {}

    def save(self) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, indent=2))
        tmp.replace(self.state_file)

    # --- instances -------------------------------------------------------------------------------------

    def _env(self) -> dict:
        return {**os.environ, "TICKETBOOTH_DATABASE_URL": self.state["database_url"]}

    def _ticketbooth(self, *args: str) -> list[str]:
        return [self.state["python"], "-m", "ticketbooth", *args]

    def start_instance(self, n: int) -> None:
        inst = self.state["instances"][n]
        logfile = open(self.dir / f"instance-{n}.log", "ab")
        proc = subprocess.Popen(
            self._ticketbooth("serve", "--host", "127.0.0.1", "--port", str(inst["port"]), "--no-seed"),
            env=self._env(), cwd=REPO, stdout=logfile, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # outlives this command; `down` stops it
        )
        logfile.close()
        inst["pid"] = proc.pid
        self.save()

    def wait_healthy(self, n: int, timeout: float = 90) -> None:
        inst = self.state["instances"][n]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not alive(inst["pid"]):
                tail = (self.dir / f"instance-{n}.log").read_text(errors="replace")[-3000:]
                raise SystemExit(f"local-cluster: instance {n} (port {inst['port']}) exited:\n{tail}")
            if healthy(inst["port"]):
                return
            time.sleep(0.2)
        raise SystemExit(f"local-cluster: instance {n} (port {inst['port']}) not healthy after {timeout:g}s")

    def stop_instance(self, n: int, timeout: float = 45) -> float:
        """SIGTERM: uvicorn stops accepting, finishes requests in flight (up to 30 s), exits. Seconds taken."""
        inst = self.state["instances"][n]
        pid, started = inst.get("pid"), time.monotonic()
        if alive(pid):
            os.kill(pid, signal.SIGTERM)
            while alive(pid) and time.monotonic() - started < timeout:
                time.sleep(0.05)
            if alive(pid):
                log(f"instance {n} still running {timeout:g}s after SIGTERM: SIGKILL")
                os.kill(pid, signal.SIGKILL)
        try:
            os.waitpid(pid, os.WNOHANG)  # reap it when this process started it
        except (ChildProcessError, TypeError):
            pass
        inst["pid"] = None
        self.save()
        return time.monotonic() - started

    # --- nginx -------------------------------------------------------------------------------------------

    def nginx_conf(self) -> str:
        d = self.dir
        servers = "\n".join(
            f"        server 127.0.0.1:{inst['port']} max_fails=1 fail_timeout=2s{' down' if inst['drained'] else ''};"
            for inst in self.state["instances"]
        )
        # nginx started by root runs its workers as nobody, who must reach the temp and cache folders.
        traversable = all(os.stat(p).st_mode & 0o001 for p in [d, *d.parents])
        user = "user root;  # the state folder is not reachable by nobody\n" if os.geteuid() == 0 and not traversable else ""
        return f"""# generated by deploy/local-cluster: do not edit (rewritten on every drain/undrain)
{user}worker_processes 2;
worker_shutdown_timeout 10s;
pid {d}/nginx.pid;
error_log {d}/nginx-error.log warn;

events {{ worker_connections 4096; }}

http {{
    log_format upstream '$remote_addr [$time_local] "$request" $status $body_bytes_sent $request_time '
                        'upstream=$upstream_addr upstream_status=$upstream_status id=$request_id';
    access_log {d}/nginx-access.log upstream buffer=64k flush=1s;
    server_tokens off;
    client_body_temp_path {d}/tmp/client-body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    proxy_cache_path {d}/cache keys_zone=catalog:10m max_size=100m inactive=60s use_temp_path=off;
    map $host $catalog_nocache {{ default {0 if self.state.get('catalog_cache', True) else 1}; }}

    upstream ticketbooth {{
{servers}
        keepalive 64;
        keepalive_timeout 4s;  # below uvicorn's 5 s: never reuse a connection the API is closing
    }}

    server {{
        listen 127.0.0.1:{self.state['nginx']['port']};
        include {LOCATIONS};
    }}
}}
"""

    def _nginx(self, *args: str) -> None:
        conf = self.dir / "nginx.conf"
        result = subprocess.run([NGINX, "-p", str(self.dir), "-c", str(conf), "-e", str(self.dir / "nginx-error.log"),
                                 *args], capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"local-cluster: nginx {' '.join(args)} failed:\n{result.stderr}")

    def nginx_pid(self) -> int | None:
        try:
            pid = int((self.dir / "nginx.pid").read_text())
        except (OSError, ValueError):
            return None
        return pid if alive(pid) else None

    def _workers(self, master: int) -> set[int]:
        found = set()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(stat[1]) == master and stat[0] != "Z":
                    found.add(int(entry.name))
        return found

    def write_nginx_conf(self) -> None:
        (self.dir / "tmp").mkdir(exist_ok=True)
        (self.dir / "nginx.conf").write_text(self.nginx_conf())
        self._nginx("-t", "-q")

    def start_nginx(self) -> None:
        self.write_nginx_conf()
        self._nginx()
        deadline = time.monotonic() + 10
        while self.nginx_pid() is None and time.monotonic() < deadline:
            time.sleep(0.05)

    def reload_nginx(self, timeout: float = 20) -> None:
        """Apply the config and wait until every worker of the old one has finished and exited: from then on
        no request can reach an instance the new config took out."""
        master = self.nginx_pid()
        if master is None:
            raise SystemExit("local-cluster: nginx is not running")
        old = self._workers(master)
        self.write_nginx_conf()
        os.kill(master, signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            current = self._workers(master)
            if not (old & current) and current:
                return
            time.sleep(0.05)
        raise SystemExit(f"local-cluster: nginx workers of the old config still running after {timeout:g}s")

    def set_drained(self, n: int, drained: bool) -> None:
        self.state["instances"][n]["drained"] = drained
        self.save()
        self.reload_nginx()

    # --- commands ----------------------------------------------------------------------------------------

    def up(self, instances: int, port: int, database_url: str, seed: bool, catalog_cache: bool = True) -> None:
        if not Path(NGINX).exists():
            raise SystemExit(f"local-cluster: no nginx at {NGINX} (apt-get install nginx-light, or TICKETBOOTH_NGINX)")
        if self.state and any(alive(i.get("pid")) for i in self.state.get("instances", [])):
            raise SystemExit(f"local-cluster: a cluster is already running from {self.dir}; `down` first")
        self.state = {
            "database_url": database_url,
            "python": sys.executable,
            "catalog_cache": catalog_cache,
            "nginx": {"port": port or free_port()},
            "instances": [{"port": free_port(), "pid": None, "drained": False} for _ in range(instances)],
        }
        self.dir.mkdir(parents=True, exist_ok=True)
        self.save()
        # One migration before any instance starts: instances never race each other on the schema.
        step = "seed-demo" if seed else "migrate"
        result = subprocess.run(self._ticketbooth(step), env=self._env(), cwd=REPO, capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"local-cluster: `ticketbooth {step}` failed:\n{result.stderr[-3000:]}")
        try:
            for n in range(instances):
                self.start_instance(n)
            for n in range(instances):
                self.wait_healthy(n)
            self.start_nginx()
        except BaseException:
            self.down()
            raise
        log(f"up: http://127.0.0.1:{self.state['nginx']['port']} -> instances on ports "
            f"{', '.join(str(i['port']) for i in self.state['instances'])} (state in {self.dir})")

    def rolling_restart(self) -> list[dict]:
        timings = []
        for n, inst in enumerate(self.state["instances"]):
            t0 = time.monotonic()
            self.set_drained(n, True)
            t1 = time.monotonic()
            stop_s = self.stop_instance(n)
            t2 = time.monotonic()
            self.start_instance(n)
            self.wait_healthy(n)
            t3 = time.monotonic()
            self.set_drained(n, False)
            t4 = time.monotonic()
            timings.append({"instance": n, "port": inst["port"], "drain_s": round(t1 - t0, 2),
                            "stop_s": round(stop_s, 2), "start_s": round(t3 - t2, 2),
                            "undrain_s": round(t4 - t3, 2), "total_s": round(t4 - t0, 2)})
            log(f"instance {n} (port {inst['port']}) restarted in {t4 - t0:.1f}s")
        return timings

    def status(self) -> dict:
        return {
            "state_dir": str(self.dir),
            "url": f"http://127.0.0.1:{self.state['nginx']['port']}",
            "database_url": self.state["database_url"],
            "nginx_pid": self.nginx_pid(),
            "instances": [
                {**inst, "alive": alive(inst.get("pid")), "healthy": healthy(inst["port"])}
                for inst in self.state["instances"]
            ],
        }

    def down(self) -> None:
        master = self.nginx_pid()
        if master is not None:
            os.kill(master, signal.SIGQUIT)  # graceful: finish requests in flight
        for n in range(len(self.state.get("instances", []))):
            self.stop_instance(n)
        deadline = time.monotonic() + 15
        while master is not None and alive(master) and time.monotonic() < deadline:
            time.sleep(0.05)
        if master is not None and alive(master):
            os.kill(master, signal.SIGKILL)
        log(f"down (logs kept in {self.dir})")


def _state_dir(arg: str | None, create: bool) -> Path:
    if arg:
        return Path(arg).resolve()
    if not create:
        if not POINTER.exists():
            raise SystemExit("local-cluster: no cluster known (no --state-dir, no var/local-cluster.path)")
        return Path(POINTER.read_text().strip())
    path = Path(tempfile.mkdtemp(prefix="ticketbooth-cluster-"))
    path.chmod(0o755)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="deploy/local-cluster", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["up", "down", "status", "rolling-restart", "drain", "undrain"])
    parser.add_argument("instance", nargs="?", type=int, help="drain/undrain: the instance number (0-based)")
    parser.add_argument("--state-dir", help="folder for config, pids and logs (default: a new temp folder)")
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--port", type=int, default=8080, help="nginx port (0: a free one)")
    parser.add_argument("--database-url", default=os.environ.get("TICKETBOOTH_DATABASE_URL"))
    parser.add_argument("--seed-demo", action="store_true", help="seed the demo data into an empty database")
    parser.add_argument("--no-catalog-cache", action="store_true", help="up: no 1 s micro-cache of catalog reads in nginx")
    parser.add_argument("--json", action="store_true", help="print the cluster's state as JSON")
    args = parser.parse_args(argv)

    cluster = Cluster(_state_dir(args.state_dir, create=args.command == "up"))
    if args.command != "up" and not cluster.state:
        raise SystemExit(f"local-cluster: no cluster state in {cluster.dir}")
    if args.command == "up":
        if not args.database_url:
            raise SystemExit("local-cluster: give --database-url or TICKETBOOTH_DATABASE_URL "
                             "(e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/ticketbooth)")
        cluster.up(args.instances, args.port, args.database_url, args.seed_demo, not args.no_catalog_cache)
        POINTER.parent.mkdir(parents=True, exist_ok=True)
        POINTER.write_text(str(cluster.dir))
        result: object = cluster.status()
    elif args.command == "down":
        cluster.down()
        if POINTER.exists() and POINTER.read_text().strip() == str(cluster.dir):
            POINTER.unlink()
        result = {"state_dir": str(cluster.dir)}
    elif args.command == "rolling-restart":
        result = {"restarts": cluster.rolling_restart()}
    elif args.command in ("drain", "undrain"):
        if args.instance is None:
            raise SystemExit("local-cluster: which instance? e.g. `drain 0`")
        cluster.set_drained(args.instance, args.command == "drain")
        result = cluster.status()
    else:
        result = cluster.status()
    if args.json or args.command in ("status", "rolling-restart"):
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
