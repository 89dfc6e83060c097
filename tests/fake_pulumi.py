"""A fake ``pulumi`` executable for the Automation API wiring tests.

``install_fake_pulumi(root, ...)`` writes ``root/bin/pulumi``, a script that
answers the commands ``pulumi.automation`` issues (version, install, stack
select/init/ls/history/output/rm, preview/up/refresh/destroy with an event log,
cancel), keeps its stacks in ``root/state.json`` and records every call, with its
argv, working directory and timing, in ``root/calls.jsonl``.

``root/behaviour.json`` makes it misbehave per stack (short stack names):
``{"delay": 0.5, "fail": ["member-1"], "lock": {"member-2": 2}, "hang": ["member-3"]}``
("lock": fail that many times with the self-managed backend's lock message).
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

VERSION = "v3.200.0"  # file-based event log (the gRPC one starts after 3.205)
DATETIME = "%Y-%m-%dT%H:%M:%S.%fZ"
CHANGES = {
    "preview": {"create": 3},
    "up": {"create": 3},
    "refresh": {"same": 3},
    "destroy": {"delete": 3},
}


def install_fake_pulumi(root: Path, **behaviour: Any) -> Path:
    """Write the fake CLI under ``root``; return ``root`` (what ``--pulumi-cli`` takes)."""
    (root / "bin").mkdir(parents=True, exist_ok=True)
    project = Path(__file__).resolve().parent.parent
    script = root / "bin" / "pulumi"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        f"sys.path.insert(0, {str(project)!r})\n"
        "from tests.fake_pulumi import main\n"
        "main()\n"
    )
    script.chmod(0o755)
    set_behaviour(root, **behaviour)
    return root


def set_behaviour(root: Path, **behaviour: Any) -> None:
    (root / "behaviour.json").write_text(json.dumps(behaviour))


def calls(root: Path) -> list[dict[str, Any]]:
    path = root / "calls.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def operations(root: Path) -> list[dict[str, Any]]:
    """The preview/up/refresh/destroy calls, with their stack and start/end times."""
    return [call for call in calls(root) if call["argv"][0] in CHANGES and "end" in call]


def max_concurrency(root: Path) -> int:
    """How many stack operations overlapped at most."""
    points = sorted(
        [(call["start"], 1) for call in operations(root)]
        + [(call["end"], -1) for call in operations(root)]
    )
    running = peak = 0
    for _, step in points:
        running += step
        peak = max(peak, running)
    return peak


# --- the executable ---------------------------------------------------------------


@contextmanager
def _locked_state(root: Path) -> Iterator[dict[str, Any]]:
    with open(root / "state.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        path = root / "state.json"
        state: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        state.setdefault("stacks", {})
        state.setdefault("locks_served", {})
        yield state
        path.write_text(json.dumps(state))


def _option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def _record(root: Path, entry: dict[str, Any]) -> None:
    with open(root / "calls.jsonl", "a") as log:
        fcntl.flock(log, fcntl.LOCK_EX)
        log.write(json.dumps(entry) + "\n")


def _now() -> str:
    return datetime.now(UTC).strftime(DATETIME)


def _write_events(path: str | None, changes: dict[str, int]) -> None:
    if not path:
        return
    with open(path, "a") as log:
        log.write(
            json.dumps(
                {
                    "sequence": 0,
                    "timestamp": 0,
                    "summaryEvent": {
                        "maybeCorrupt": False,
                        "durationSeconds": 0,
                        "resourceChanges": changes,
                    },
                }
            )
            + "\n"
        )
        log.write(json.dumps({"sequence": 1, "timestamp": 0, "cancelEvent": {}}) + "\n")


def main() -> None:
    root = Path(sys.argv[0]).resolve().parent.parent  # root/bin/pulumi
    argv = [arg for arg in sys.argv[1:] if arg != "--non-interactive"]
    entry: dict[str, Any] = {
        "argv": argv,
        "cwd": os.getcwd(),
        "backend": os.environ.get("PULUMI_BACKEND_URL"),
        "has_passphrase": bool(os.environ.get("PULUMI_CONFIG_PASSPHRASE")),
        "start": time.time(),
    }
    behaviour: dict[str, Any] = json.loads((root / "behaviour.json").read_text())
    stack = _option(argv, "--stack") or ""
    if not stack and argv[0] == "cancel":  # `pulumi cancel [<stack>]`
        stack = next((arg for arg in argv[1:] if not arg.startswith("-")), "")
    short = stack.split("/")[-1]
    entry["stack"] = short
    code, out, err = _dispatch(root, argv, stack, short, behaviour)
    entry["end"] = time.time()
    entry["code"] = code
    _record(root, entry)
    sys.stdout.write(out)
    sys.stderr.write(err)
    sys.exit(code)


def _dispatch(
    root: Path, argv: list[str], stack: str, short: str, behaviour: dict[str, Any]
) -> tuple[int, str, str]:
    command = argv[0]
    if command == "version":
        return 0, VERSION + "\n", ""
    if command == "install":
        return 0, "", ""
    if command == "cancel":  # ends a hanging update, as the service would
        with _locked_state(root) as state:
            pid = state.get("hanging", {}).pop(short, None)
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
        return 0, "", ""
    if command == "stack":
        return _stack_command(root, argv, stack)
    if command in CHANGES:
        return _operation(root, argv, command, stack, short, behaviour)
    return 1, "", f"error: the fake pulumi does not know {argv}\n"


def _stack_command(root: Path, argv: list[str], stack: str) -> tuple[int, str, str]:
    sub = argv[1]
    with _locked_state(root) as state:
        stacks: dict[str, Any] = state["stacks"]
        if sub == "select":
            if stack not in stacks:
                return 255, "", f"error: no stack named '{stack}' found\n"
            return 0, "", ""
        if sub == "init":
            stacks[argv[2]] = {"history": []}
            return 0, "", ""
        if sub == "ls":
            rows = [{"name": name, "current": False, "updateInProgress": False} for name in stacks]
            return 0, json.dumps(rows), ""
        if sub == "history":
            history = stacks.get(stack, {}).get("history", [])
            return 0, json.dumps(list(reversed(history))[:1]), ""
        if sub == "output":
            return 0, "{}", ""
        if sub == "rm":
            stacks.pop(argv[-1], None)
            return 0, "", ""
    return 1, "", f"error: unknown stack command {sub}\n"


def _operation(
    root: Path, argv: list[str], command: str, stack: str, short: str, behaviour: dict[str, Any]
) -> tuple[int, str, str]:
    with _locked_state(root) as state:
        served = state["locks_served"].get(short, 0)
        if served < behaviour.get("lock", {}).get(short, 0):
            state["locks_served"][short] = served + 1
            return 255, "", "error: the stack is currently locked by 1 lock(s). Either wait.\n"
    if short in behaviour.get("hang", []):
        with _locked_state(root) as state:
            state.setdefault("hanging", {})[short] = os.getpid()
        time.sleep(3600)
    time.sleep(float(behaviour.get("delay", 0)))
    if short in behaviour.get("fail", []):
        return 255, "", f"error: update failed for {short}: resource creation failed\n"
    changes = CHANGES[command]
    _write_events(_option(argv, "--event-log"), changes)
    if command != "preview":
        with _locked_state(root) as state:
            history = state["stacks"].setdefault(stack, {"history": []})["history"]
            history.append(
                {
                    "kind": "destroy" if command == "destroy" else command,
                    "startTime": _now(),
                    "endTime": _now(),
                    "message": "",
                    "environment": {},
                    "config": {},
                    "result": "succeeded",
                    "version": len(history) + 1,
                    "resourceChanges": changes,
                }
            )
    return 0, "", ""
