"""The self-managed backend's stack locks, and which of them may be removed without a human.

Where Pulumi keeps them (pulumi/pulumi v3.274.1, ``pkg/backend/diy/lock.go``): every update,
refresh and destroy writes ``.pulumi/locks/<org>/<project>/<stack>/<lock id>.json`` in the
backend (``stackLockDir``/``lockPath``), holding ``{"pid", "username", "hostname",
"timestamp"}`` of the CLI process (``newLockContent``: ``os.Getpid()``, ``os.Hostname()``,
``time.Now()``). ``Lock`` refuses when any other lock file is in that folder
(``checkForLock``: "the stack is currently locked by N lock(s)"), and ``Unlock`` deletes
only its own file when the update ends. A CLI killed hard never unlocks, so its file stays
and every later update of the stack fails. ``pulumi cancel`` on this backend deletes *every*
file of the folder, whoever holds it and whether or not its update still runs
(``CancelCurrentUpdate`` in ``pkg/backend/diy/backend.go``): it is the operator's "I checked".

What this module removes instead, one lock at a time and only when provable:

- a lock written on **this host** whose ``pid`` no longer runs, or runs a process started
  after the lock was written (the pid was reused): its update is certainly gone;
- a lock from **another host** only when the caller opted in (``break_foreign_after``), the
  lock is older than that, and no other orgctl run on this backend is alive
  (:class:`RunLease`, orgctl's lock of the whole org run; in CI, also give the deploy job a
  ``concurrency:`` group, so two runs never start at once).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LEASE_HEARTBEAT_SECONDS = 15.0
"""How often a running orgctl refreshes its lease."""
LEASE_TTL_SECONDS = 60.0
"""A lease from another host not refreshed for this long belongs to a run that is gone."""


def backend_root(backend_url: str) -> Path | None:
    """The folder of a ``file://`` backend, else None (only that one is read here)."""
    if not backend_url.startswith("file://"):
        return None
    return Path(backend_url.removeprefix("file://").split("?", 1)[0])


def this_host() -> str:
    """What ``os.Hostname()`` returns in the CLI on this machine (Go reads uname's nodename)."""
    return os.uname().nodename


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _started_at(pid: int) -> float | None:
    """When the process started (epoch seconds), from /proc, or None when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: starttime
    except (OSError, IndexError, ValueError, StopIteration):
        return None


def _timestamp(value: Any) -> datetime | None:
    """Go's RFC 3339 with nanoseconds (``2026-12-03T10:41:05.123456789Z`` or ``+01:00``)."""
    if not isinstance(value, str):
        return None
    text = value.replace("Z", "+00:00")
    if "." in text:  # Python parses at most microseconds
        head, tail = text.split(".", 1)
        digits = len(tail) - len(tail.lstrip("0123456789"))
        text = f"{head}.{tail[: min(digits, 6)]}{tail[digits:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class StackLock:
    """One lock file of a stack."""

    path: Path
    pid: int | None
    username: str | None
    hostname: str | None
    timestamp: datetime | None

    def describe(self) -> str:
        when = self.timestamp.isoformat(timespec="seconds") if self.timestamp else "?"
        return f"{self.path} ({self.username}@{self.hostname}, pid {self.pid}, since {when})"

    def dead_here(self) -> str | None:
        """Why this lock's update is provably gone, when it was written on this host."""
        if self.hostname != this_host() or not isinstance(self.pid, int):
            return None
        if not _alive(self.pid):
            return f"its update (pid {self.pid} on this host) no longer runs"
        started = _started_at(self.pid)
        # A process started after the lock was written cannot have written it: pid reused.
        if started is not None and self.timestamp and started > self.timestamp.timestamp() + 1:
            return f"pid {self.pid} on this host is a later process than the lock's update"
        return None

    def age_seconds(self, now: float | None = None) -> float | None:
        if self.timestamp is None:
            return None
        return (now if now is not None else time.time()) - self.timestamp.timestamp()


def stack_locks(backend_url: str, qualified_stack: str) -> list[StackLock]:
    """The lock files of ``<org>/<project>/<stack>`` on a ``file://`` backend."""
    root = backend_root(backend_url)
    if root is None:
        return []
    found = []
    for path in sorted((root / ".pulumi" / "locks" / qualified_stack).glob("*.json")):
        try:
            content = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # being written, or gone: not ours to judge
        if not isinstance(content, dict):
            continue
        pid = content.get("pid")
        found.append(
            StackLock(
                path,
                pid if isinstance(pid, int) else None,
                str(content.get("username")),
                str(content.get("hostname")),
                _timestamp(content.get("timestamp")),
            )
        )
    return found


# --- the lock of the whole org run ---------------------------------------------------------


class RunLease:
    """orgctl's own lock of an org run on a ``file://`` backend, refreshed while the run lives.

    One file per run, ``<backend>/.orgctl/runs/<run id>.json``: host, pid, start and last
    heartbeat. Runs never wait on each other here (stacks have their own locks); the leases
    are the evidence a run needs before it may break another host's stack lock.
    """

    def __init__(self, backend_url: str, *, heartbeat_seconds: float = LEASE_HEARTBEAT_SECONDS):
        root = backend_root(backend_url)
        self.folder = root / ".orgctl" / "runs" if root is not None else None
        self.run_id = uuid.uuid4().hex
        self.heartbeat_seconds = heartbeat_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def path(self) -> Path | None:
        return self.folder / f"{self.run_id}.json" if self.folder else None

    def _write(self, started: str) -> None:
        if self.path is None:
            return
        document = {
            "run_id": self.run_id,
            "hostname": this_host(),
            "pid": os.getpid(),
            "started_at": started,
            "heartbeat": time.time(),
        }
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(document), encoding="utf-8")
        os.replace(temporary, self.path)

    def start(self) -> None:
        if self.folder is None or self._thread is not None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        started = datetime.now(UTC).isoformat(timespec="seconds")
        self._write(started)

        def beat() -> None:
            while not self._stop.wait(self.heartbeat_seconds):
                with contextlib.suppress(OSError):
                    self._write(started)

        self._thread = threading.Thread(target=beat, name="orgctl-run-lease", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)

    def others_alive(self, now: float | None = None) -> list[str]:
        """The other runs on this backend that are alive: same host and pid, or a fresh beat."""
        if self.folder is None or not self.folder.is_dir():
            return []
        now = now if now is not None else time.time()
        alive = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                lease = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if not isinstance(lease, dict) or lease.get("run_id") == self.run_id:
                continue
            host, pid = lease.get("hostname"), lease.get("pid")
            if host == this_host() and isinstance(pid, int):
                live = _alive(pid)
            else:
                live = now - float(lease.get("heartbeat") or 0) < LEASE_TTL_SECONDS
            if live:
                alive.append(f"{host} pid {pid} since {lease.get('started_at')}")
            elif now - float(lease.get("heartbeat") or 0) > 24 * 3600:
                path.unlink(missing_ok=True)  # a day-old lease of a dead run: tidy up
        return alive
