"""The preflight: a run without an AWS identity stops before its first stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from akeyless_gateway_org.run import preflight
from tests.conftest import CENTRALIZED_EXAMPLE, run_orgctl
from tests.fake_pulumi import calls, install_fake_pulumi

REAL_CHECK = preflight.caller_identity
"""Kept before the suite's autouse fixture replaces it."""


NO_CREDENTIALS = {
    "AWS_CONFIG_FILE": "/nonexistent/config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
    "AWS_EC2_METADATA_DISABLED": "true",
}
"""No file, no instance role; run_orgctl's environment has no key either."""


def test_the_identity_of_the_run_environment(sts_endpoint: str) -> None:
    environment = {
        **NO_CREDENTIALS,
        "AWS_ACCESS_KEY_ID": "AKIAPREFLIGHT0000000",
        "AWS_SECRET_ACCESS_KEY": "x" * 40,
        "AWS_ENDPOINT_URL_STS": sts_endpoint,
    }
    assert REAL_CHECK(environment).startswith("arn:aws:")


def test_no_identity_is_a_clear_error(sts_endpoint: str) -> None:
    with pytest.raises(preflight.AwsIdentityMissing, match="no AWS identity for the deployment"):
        REAL_CHECK({**NO_CREDENTIALS, "AWS_ENDPOINT_URL_STS": sts_endpoint})


def test_up_without_an_identity_runs_no_stack(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sts_endpoint: str
) -> None:
    fake = install_fake_pulumi(tmp_path / "cli")
    monkeypatch.setattr(preflight, "caller_identity", REAL_CHECK)
    run = run_orgctl(
        *("up", "--config", str(CENTRALIZED_EXAMPLE), "--pulumi-cli", str(fake)),
        *("--state-dir", str(tmp_path / "state")),
        home=tmp_path,
        env={
            **NO_CREDENTIALS,
            "AWS_ENDPOINT_URL_STS": sts_endpoint,
            "PULUMI_CONFIG_PASSPHRASE": "x",
        },
    )
    assert run.returncode == 1, run.stderr
    assert "no AWS identity for the deployment" in run.stderr
    assert "Traceback" not in run.stderr
    assert calls(fake) == []  # not even `pulumi install`: nothing ran
