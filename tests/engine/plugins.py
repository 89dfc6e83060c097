"""Installs the stand-in provider plugins into an isolated ``PULUMI_HOME``.

Each plugin is what the engine expects of a binary plugin: a folder holding an executable
``pulumi-resource-<name>`` (sdk/go/common/workspace/plugins.go, ``getPluginPath``), here a
shell script starting this venv's Python on :mod:`tests.engine.standin_provider`. It is
installed with the CLI's own ``pulumi plugin install resource NAME VERSION --file ARCHIVE``
at the version the SDK asks for, so the engine resolves it exactly as it would the real
plugin.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import tarfile
from collections.abc import Mapping
from importlib import util
from pathlib import Path

import yaml

from akeyless_gateway_org.project import PROJECT_DIR


def sdk_plugin_version(package: str) -> str:
    """The plugin version an installed provider SDK requests (its ``pulumi-plugin.json``)."""
    spec = util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise LookupError(f"{package} is not installed")
    folder = Path(next(iter(spec.submodule_search_locations)))
    document = json.loads((folder / "pulumi-plugin.json").read_text(encoding="utf-8"))
    return str(document["version"])


def akeyless_plugin_version() -> str:
    """The Akeyless Terraform provider version ``Pulumi.yaml``'s ``packages:`` entry bridges.

    The schema-driven classes register ``pulumi:providers:akeyless`` without a version, so the
    engine takes the newest ``akeyless`` plugin installed: this one.
    """
    document = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text(encoding="utf-8"))
    _source, version = document["packages"]["akeyless"]["parameters"]
    return str(version)


def plugin_versions() -> dict[str, str]:
    return {
        "aws": sdk_plugin_version("pulumi_aws"),
        "kubernetes": sdk_plugin_version("pulumi_kubernetes"),
        "akeyless": akeyless_plugin_version(),
    }


def _launcher(name: str, version: str) -> str:
    python = shlex.quote(sys.executable)
    project = shlex.quote(str(PROJECT_DIR))
    return (
        "#!/bin/sh\n"
        f"# Stand-in for the {name} provider plugin (tests/engine/standin_provider.py).\n"
        f'PYTHONPATH={project}"${{PYTHONPATH:+:$PYTHONPATH}}" exec {python} '
        f'-m tests.engine.standin_provider {name} {version} "$@"\n'
    )


def install_plugins(
    pulumi: Path, pulumi_home: Path, work: Path, versions: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Install every stand-in into ``pulumi_home``; returns name -> version."""
    versions = dict(versions or plugin_versions())
    for name, version in versions.items():
        folder = work / f"{name}-{version}"
        folder.mkdir(parents=True, exist_ok=True)
        launcher = folder / f"pulumi-resource-{name}"
        launcher.write_text(_launcher(name, version), encoding="utf-8")
        launcher.chmod(0o755)
        archive = work / f"pulumi-resource-{name}-v{version}.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(launcher, arcname=launcher.name)
        subprocess.run(
            [str(pulumi), "plugin", "install", "resource", name, version, "--file", str(archive)],
            env={"PULUMI_HOME": str(pulumi_home), "PATH": "/usr/bin:/bin", "HOME": str(work)},
            check=True,
            capture_output=True,
            text=True,
        )
    return versions
