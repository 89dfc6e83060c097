"""The upgrade fixture: both example organizations as an older checkout deployed them.

``tests/engine/test_engine_upgrade.py`` imports these states and runs today's code over them,
so an upgrade that would replace, create or delete anything fails there. This module makes the
fixture and reads it back::

    git worktree add --detach /tmp/before-compute 0ae2b6b
    .venv/bin/python -m tests.engine.upgrade_fixture /tmp/before-compute
    git worktree remove /tmp/before-compute

It runs ``orgctl up`` of both examples' Gateway stacks and the org stack they read (the
stacks that hold compute; members do not) with the OLDER checkout's program and package (put first
on ``PYTHONPATH``; this venv, the harness, the stand-in providers and the fake Akeyless of this
checkout, so the older commit must take the same ``requirements-test.lock``; its ``.venv``
is linked to this one), exports every stack
(``pulumi stack export``) and writes ``fixtures/upgrade/<pattern>/<stack>.json`` plus
``fixtures/upgrade/SOURCE``, naming the commit. The fake Akeyless listens on a new port each run:
its URL is stored as :data:`FAKE_URL` and put back by :func:`fixture_states`. Secrets stay
encrypted with the test passphrase (``harness.PASSPHRASE``); the External IDs and the rotated
key are in no fixture in plain text (the upgrade test checks).

Each provider resource's plugin version is set to the one pinned now when the fixture is read.
Make the fixture again when the examples change in a way the old program would deploy
differently (a new field), from a checkout the stacks in the field were deployed with.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.engine.harness import (
    DEPLOY_ACCESS_ID,
    EXAMPLES,
    Engine,
    engine_bin,
    gateway_accounts,
    new_engine,
    org_file,
    orgctl,
    pulumi_cli,
    set_rotated_key_secrets,
)
from tests.engine.plugins import plugin_versions
from tests.fake_akeyless import FakeAkeyless, running_fake_akeyless

FIXTURE_DIR = Path(__file__).resolve().parent / "fixtures" / "upgrade"
PROVIDER_TYPE_PREFIX = "pulumi:providers:"
FAKE_URL = "@FAKE_AKEYLESS_URL@"
"""Stands for the fake Akeyless's URL (``http://127.0.0.1:<port>``) in the fixture."""
STACK_OWNER = "organization"
PROJECT = "akeyless-gateway-org"


def qualified(stack: str) -> str:
    return f"{STACK_OWNER}/{PROJECT}/{stack}"


def backend_env(state: Path) -> dict[str, str]:
    return {"PULUMI_BACKEND_URL": f"file://{state / 'state'}"}


def fixture_states(pattern: str, fake_url: str) -> dict[str, str]:
    """Stack name -> its exported deployment (JSON text), pointed at ``fake_url``.

    Each provider resource records the plugin version it ran with; it gets the version this
    venv's SDK asks for (the stand-in installed), so a newer pinned provider is not a change.
    """
    versions = plugin_versions()
    states = {}
    for path in sorted((FIXTURE_DIR / pattern).glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8").replace(FAKE_URL, fake_url))
        for resource in document["deployment"]["resources"]:
            package = resource["type"].removeprefix(PROVIDER_TYPE_PREFIX)
            if resource["type"].startswith(PROVIDER_TYPE_PREFIX) and package in versions:
                for side in ("inputs", "outputs"):
                    if "version" in resource.get(side, {}):
                        resource[side]["version"] = versions[package]
        states[path.stem] = json.dumps(document, indent=1, sort_keys=True) + "\n"
    return states


def _export(engine: Engine, state: Path, stack: str, fake: FakeAkeyless) -> str:
    result = pulumi_cli(
        engine,
        *("stack", "export", "--stack", qualified(stack)),
        cwd=state / "work" / stack,
        env=backend_env(state),
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    text = json.dumps(document, indent=1, sort_keys=True) + "\n"
    return text.replace(fake.url, FAKE_URL)


def make_fixture(older: Path) -> None:
    if not (engine_bin() / "pulumi").is_file():
        sys.exit(f"no Pulumi CLI at {engine_bin()}: run tests/engine/build-pulumi.sh")
    commit = subprocess.run(
        ["git", "-C", str(older), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # Pulumi.yaml names the venv beside the program: this one, the older package put first.
    venv = older / ".venv"
    if not venv.exists():
        venv.symlink_to(Path(sys.executable).parent.parent)
    with tempfile.TemporaryDirectory() as temporary, running_fake_akeyless() as fake:
        fake.aws_iam_access_ids.add(DEPLOY_ACCESS_ID)
        fake.session_signed_access_ids = True  # the accounts' own deployer logins
        root = Path(temporary)
        engine = new_engine(root / "engine", code_dir=older.resolve())
        for pattern, example in sorted(EXAMPLES.items()):
            folder = root / pattern
            folder.mkdir()
            org, state = org_file(example, fake, folder), folder / "state"
            accounts = gateway_accounts(org)
            set_rotated_key_secrets(engine, org, state, only=accounts)
            run = orgctl(engine, "up", org, state, "--only", *accounts)
            assert run.returncode == 0, run.explain()
            out = FIXTURE_DIR / pattern
            out.mkdir(parents=True, exist_ok=True)
            for old in out.glob("*.json"):
                old.unlink()
            for stack in run.report["stacks"]:
                text = _export(engine, state, stack["name"], fake)
                (out / f"{stack['name']}.json").write_text(text, encoding="utf-8")
                print(f"{pattern}/{stack['name']}.json: {len(text)} bytes")
    (FIXTURE_DIR / "SOURCE").write_text(
        f"{commit}\n"
        "Made by: python -m tests.engine.upgrade_fixture <checkout of that commit>\n"
        "(see tests/engine/upgrade_fixture.py)\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.engine.upgrade_fixture <older checkout>")
    make_fixture(Path(sys.argv[1]))
