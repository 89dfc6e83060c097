"""The README's Quick start, the CI script and the example headers say the same commands."""

from __future__ import annotations

import re
import tomllib

from akeyless_gateway_org.project import PROJECT_DIR

README = PROJECT_DIR / "README.md"


def quick_start() -> list[str]:
    section = README.read_text(encoding="utf-8").split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block is not None, "no code block under Quick start"
    return block.group(1).strip().splitlines()


def test_quick_start_is_two_commands_and_ci_runs_the_second_as_written() -> None:
    render, tests = quick_start()
    assert render.endswith(".venv/bin/orgctl render --config config/org.example.yaml")
    assert "pulumi" not in render.replace("pip install", "")  # no Pulumi CLI needed
    assert tests in (PROJECT_DIR / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    # Hash-checked dependencies from the lock files, the project itself without deps.
    assert "--require-hashes -r requirements.lock" in render
    assert "--require-hashes -r requirements-test.lock" in tests


def test_orgctl_is_a_console_script_of_the_project() -> None:
    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["orgctl"] == "akeyless_gateway_org.cli:run_command"


def test_example_headers_show_the_installed_orgctl() -> None:
    for example in sorted((PROJECT_DIR / "config").glob("*.example.yaml")):
        header = example.read_text(encoding="utf-8").split("\npattern:", 1)[0]
        command = f".venv/bin/orgctl render --config config/{example.name}"
        assert command in header, example.name
