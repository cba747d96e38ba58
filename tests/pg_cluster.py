"""A throwaway PostgreSQL 15 cluster on loopback for the tests that run on both databases.

Debian's binaries (`pg_config --bindir`, else /usr/lib/postgresql/15/bin; `make postgres`
installs them): initdb into a temporary directory, the server on 127.0.0.1 at a free port with
its socket in that directory, stopped by its PID at the end. As root (initdb refuses root) the
cluster runs as the `postgres` user Debian's package creates. Each test gets a schema of its own
(`search_path` in the URL), so tests never see each other's rows.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg

INSTALL = "Install it with `make postgres` (Debian: apt-get install postgresql-15)."


def bindir() -> Path:
    for candidate in _candidates():
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    raise RuntimeError(
        "PostgreSQL 15's server programs (initdb, pg_ctl) were not found in "
        f"{[str(c) for c in _candidates()]}; the tests that run on PostgreSQL need them. {INSTALL}"
    )


def _candidates() -> list[Path]:
    found = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            found.append(Path(out.stdout.strip()))
    found.append(Path("/usr/lib/postgresql/15/bin"))
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    def __init__(self, options: str = "") -> None:
        """`options`: more server settings (`-c name=value ...`), e.g. for a diagnostic."""
        self.options = options
        self.bin = bindir()
        # its own directory under /tmp: short enough for the socket path, reachable by the
        # `postgres` user when the tests run as root
        self.root = root = Path(tempfile.mkdtemp(prefix="signoff-pg-"))
        self.data = root / "data"
        self.port = free_port()
        self.user = "signoff"
        self.pid: int | None = None
        self._as: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise RuntimeError(
                    f"Running as root and there is no `postgres` user to run the test cluster "
                    f"as. {INSTALL}"
                ) from exc
            runuser = shutil.which("runuser") or "/usr/sbin/runuser"
            self._as = [runuser, "-u", "postgres", "--"]
            os.chown(root, pw.pw_uid, pw.pw_gid)

    def start(self) -> Cluster:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            self.user,
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        if self.options:
            options += " " + self.options
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        self.pid = int((self.data / "postmaster.pid").read_text().split()[0])
        return self

    def _run(self, *argv: str) -> None:
        done = subprocess.run([*self._as, *argv], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = self.root / "server.log"
            raise RuntimeError(
                f"{Path(argv[0]).name} failed ({done.returncode}): {done.stderr.strip()[-800:]}"
                + (f"\nserver log: {log.read_text()[-800:]}" if log.exists() else "")
            )

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def new_schema(self) -> str:
        """A URL whose connections see only a new, empty schema."""
        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        return f"{self.url}?options={quote(f'-c search_path={name}')}"

    def stop(self) -> None:
        if self.pid is None:
            return
        try:
            os.kill(self.pid, signal.SIGINT)  # fast shutdown
        except ProcessLookupError:
            self.pid = None
            return
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            os.kill(self.pid, signal.SIGQUIT)
        self.pid = None
        shutil.rmtree(self.root, ignore_errors=True)
