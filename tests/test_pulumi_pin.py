"""One Pulumi version: the end-to-end tests build the CLI the workflows install."""

from __future__ import annotations

from tests.engine.harness import go_mod_version, pinned_version


def test_the_engine_build_requires_the_version_the_workflows_install() -> None:
    assert go_mod_version() == pinned_version()
