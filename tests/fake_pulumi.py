"""A fake ``pulumi`` executable for the Automation API wiring tests and the benchmark.

``install_fake_pulumi(root, ...)`` writes ``root/bin/pulumi``, a bash script that
answers the commands ``pulumi.automation`` issues (version, install, stack
select/init/ls/history/output/rm, preview/up/refresh/destroy with an event log,
cancel, ``config set --secret`` with the value on stdin), keeps its stacks under
``root/stacks/`` and records every call, with its argv, working directory and
timing, in ``root/calls.jsonl``. Before a preview or up (a refresh or destroy only
with ``--run-program``) it checks the stack's config as the real CLI does
(``tests/pulumi_config_rules.py``) and fails with the CLI's message.

``set_behaviour`` makes it misbehave per stack (short stack names): ``delay``
seconds per operation (of every stack, or by stack), ``fail`` these stacks (with
the CLI's diagnostics on stdout),
``fail_times`` only the first N operations of those stacks (then they succeed),
``lock`` a stack that many times (the self-managed backend's lock message),
``hang`` until SIGINT (at most ``hang_seconds``), ``crash`` leaving a stale lock
and a pending create (``stack export`` shows it; ``refresh --clear-pending-creates``
drops it),
``outputs`` to export on ``up`` (an ``up`` also records the fingerprint orgctl hands the
program in ``ORGCTL_STACK_FINGERPRINT``, which ``stack output`` returns as
``orgctlFingerprint``, as components/program.py exports it), ``install_delay`` for
``pulumi install``
(which ``install_fails``), ``warn`` with this message (a program's warning
diagnostic) in a preview's event log; ``check_config=False`` skips the config
check (a Python start per operation, where the real CLI checks in-process: the
benchmark turns it off).

Where the product depends on it, it behaves like the real CLI and says which
source it follows: stacks and locks live in the ``file://`` backend (a relative
path resolved in the working directory), ``cancel`` only deletes the lock files,
SIGINT cancels the update gracefully and unlocks, the passphrase comes from
``PULUMI_CONFIG_PASSPHRASE`` or ``PULUMI_CONFIG_PASSPHRASE_FILE``. Each call's
record holds its pid and session id, and the AWS profile and Akeyless access ID
it saw.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

OPERATIONS = ("preview", "up", "refresh", "destroy")
FAKE_PULUMI = Path(__file__).with_name("fake_pulumi.sh")
CONFIG_RULES = Path(__file__).with_name("pulumi_config_rules.py")


def verdict_dir() -> Path:
    """Where the fakes keep the config checker's verdicts by content, one folder per
    version of the checker (so a change to its rules never meets an old verdict)."""
    rules = hashlib.sha256(CONFIG_RULES.read_bytes()).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / f"fake-pulumi-verdicts-{os.getuid()}-{rules}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def install_fake_pulumi(root: Path, **behaviour: Any) -> Path:
    """Write the fake CLI under ``root``; return ``root`` (what ``--pulumi-cli`` takes)."""
    (root / "bin").mkdir(parents=True, exist_ok=True)
    for folder in ("stacks", "locks"):
        (root / folder).mkdir(exist_ok=True)
    # Bash, not Python: the Automation API makes several CLI calls per stack, and a
    # Python start costs ~25 ms of CPU where bash costs ~2 ms; the fake must not be
    # the bottleneck of the benchmark.
    script = root / "bin" / "pulumi"
    shutil.copyfile(FAKE_PULUMI, script)
    script.chmod(0o755)
    (root / "checker").write_text(f"{sys.executable}\n{CONFIG_RULES}\n{verdict_dir()}\n")
    set_behaviour(root, **behaviour)
    return root


def set_behaviour(
    root: Path,
    *,
    delay: float | Mapping[str, float] = 0,
    fail: Sequence[str] | Mapping[str, str] = (),
    fail_times: Mapping[str, int] | None = None,
    lock: Mapping[str, int] | None = None,
    hang: Sequence[str] = (),
    hang_seconds: float = 15,
    crash: Sequence[str] = (),
    outputs: Mapping[str, Mapping[str, Any]] | None = None,
    install_delay: float = 0,
    install_fails: bool = False,
    warn: Mapping[str, str] | None = None,
    check_config: bool = True,
) -> None:
    """How the fake misbehaves, per short stack name, as files the script reads.

    ``fail`` maps a stack to its resource error message (or lists stacks: a default one).
    In ``outputs``, the value ``correct-secret-value`` is a secret: masked unless
    ``--show-secrets``, like ``pulumi stack output``.
    """
    folder = root / "behaviour"
    shutil.rmtree(folder, ignore_errors=True)
    for name in ("fail", "fail_times", "lock", "hang", "crash", "outputs", "warn", "delays"):
        (folder / name).mkdir(parents=True)
    delays = delay if isinstance(delay, Mapping) else {}
    (folder / "delay").write_text("0" if isinstance(delay, Mapping) else str(delay))
    for stack, seconds in delays.items():
        (folder / "delays" / stack).write_text(str(seconds))
    (folder / "hang_seconds").write_text(str(hang_seconds))
    (folder / "install_delay").write_text(str(install_delay))
    if install_fails:
        (folder / "install_fails").touch()
    if check_config:
        (folder / "check_config").touch()
    messages = fail if isinstance(fail, Mapping) else dict.fromkeys(fail, "")
    for stack, message in messages.items():
        (folder / "fail" / stack).write_text(message + "\n" if message else "")
    for stack, times in (fail_times or {}).items():
        (folder / "fail_times" / stack).write_text(str(times))
    for stack in crash:
        (folder / "crash" / stack).touch()
    for stack, exported in (outputs or {}).items():
        (folder / "outputs" / stack).write_text(json.dumps(exported) + "\n")
    for stack, times in (lock or {}).items():
        (folder / "lock" / stack).write_text(str(times))
    for stack in hang:
        (folder / "hang" / stack).touch()
    for stack, message in (warn or {}).items():
        (folder / "warn" / stack).write_text(json.dumps(message) + "\n")


def calls(root: Path) -> list[dict[str, Any]]:
    path = root / "calls.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def operations(root: Path) -> list[dict[str, Any]]:
    """The preview/up/refresh/destroy calls, with their stack and start/end times."""
    return [call for call in calls(root) if call["argv"][0] in OPERATIONS]


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
