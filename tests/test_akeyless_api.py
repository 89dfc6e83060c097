"""The official akeyless SDK against a local server: External ID read, health wait."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from akeyless_gateway_org.components.akeyless_api import (
    AkeylessApiError,
    login_token,
    read_generated_external_id,
    wait_for_gateway_health,
)
from akeyless_gateway_org.faults import RetryPolicy
from tests.fake_akeyless import FakeAkeyless, running_fake_akeyless

FAST = RetryPolicy(attempts=4, backoff_seconds=0.0, max_backoff_seconds=0.0)
TARGET = "/org/aws/333333333333/target"
ROLE = "arn:aws:iam::333333333333:role/akeyless/akeyless-gateway-member"


@pytest.fixture
def fake() -> Iterator[FakeAkeyless]:
    with running_fake_akeyless() as server:
        yield server


def test_reads_the_generated_external_id(fake: FakeAkeyless) -> None:
    fake.add_aws_target(TARGET, ROLE, "9f8e7d6c-generated")
    external_id = read_generated_external_id(
        api_url=fake.url, token="t-valid", target_name=TARGET, account_id="333333333333"
    )
    assert external_id == "9f8e7d6c-generated"
    assert fake.requests == [
        (
            "/target-get-details",
            {"json": False, "name": TARGET, "show-versions": False, "token": "t-valid"},
        )
    ]


def test_an_unknown_target_names_the_target_and_account(fake: FakeAkeyless) -> None:
    with pytest.raises(AkeylessApiError) as caught:
        read_generated_external_id(
            api_url=fake.url, token="t-valid", target_name=TARGET, account_id="333333333333"
        )
    message = str(caught.value)
    assert TARGET in message and "333333333333" in message and "404" in message


def test_a_rejected_token_is_reported_without_the_token(fake: FakeAkeyless) -> None:
    fake.add_aws_target(TARGET, ROLE, "x")
    with pytest.raises(AkeylessApiError, match="401") as caught:
        read_generated_external_id(
            api_url=fake.url, token="t-wrong", target_name=TARGET, account_id="333333333333"
        )
    assert "t-wrong" not in str(caught.value)


def test_a_target_without_generated_id_is_an_error(fake: FakeAkeyless) -> None:
    fake.add_aws_target(TARGET, ROLE, None)
    with pytest.raises(AkeylessApiError, match="no generated External ID"):
        read_generated_external_id(
            api_url=fake.url, token="t-valid", target_name=TARGET, account_id="333333333333"
        )


def test_an_unreachable_api_is_an_error_naming_it() -> None:
    """A refused connection is transient: retried, then reported naming the URL."""
    with running_fake_akeyless() as gone:
        url = gone.url
    with pytest.raises(AkeylessApiError, match=url.replace(".", r"\.")) as caught:
        read_generated_external_id(
            api_url=url,
            token="t",
            target_name=TARGET,
            account_id="333333333333",
            timeout_seconds=2,
            retry=RetryPolicy(attempts=2, backoff_seconds=0.0),
        )
    assert "(after 2 attempts)" in str(caught.value)


def test_health_wait_returns_once_healthy(fake: FakeAkeyless) -> None:
    wait_for_gateway_health(f"{fake.url}/health", timeout_seconds=5, interval_seconds=0.1)


def test_health_wait_times_out_naming_the_url(fake: FakeAkeyless) -> None:
    fake.health_status = 503
    now = [0.0]

    def sleep(seconds: float) -> None:  # a simulated clock: the test never waits
        now[0] += seconds

    with pytest.raises(AkeylessApiError) as caught:
        wait_for_gateway_health(
            f"{fake.url}/health",
            timeout_seconds=30,
            interval_seconds=5,
            clock=lambda: now[0],
            sleep=sleep,
        )
    assert f"{fake.url}/health" in str(caught.value)
    assert "HTTP 503" in str(caught.value)
    assert now[0] == 30


def test_502s_and_resets_are_retried_until_the_answer_comes(fake: FakeAkeyless) -> None:
    """What a Gateway in a rolling restart does: a 502, a reset connection, then the answer."""
    fake.add_aws_target(TARGET, ROLE, "9f8e7d6c-generated")
    fake.faults = ["502", "reset", "502"]
    external_id = read_generated_external_id(
        api_url=fake.url, token="t-valid", target_name=TARGET, account_id="333", retry=FAST
    )
    assert external_id == "9f8e7d6c-generated"
    assert [fault for _, fault in fake.faulted] == ["502", "reset", "502"]


def test_a_login_is_retried_through_transient_failures(fake: FakeAkeyless) -> None:
    fake.api_keys["p-apikey0exmpl"] = "the-access-key"
    fake.faults = ["reset", "502"]
    token = login_token(
        api_url=fake.url,
        login="api_key",
        access_id="p-apikey0exmpl",
        access_key="the-access-key",
        retry=FAST,
    )
    assert token == "t-valid"
    assert [fault for _, fault in fake.faulted] == ["reset", "502"]


def test_transient_failures_past_the_attempts_fail_naming_the_attempts(fake: FakeAkeyless) -> None:
    fake.add_aws_target(TARGET, ROLE, "x")
    fake.faults = ["502"] * 4
    with pytest.raises(AkeylessApiError, match=r"HTTP 502 Bad Gateway \(after 4 attempts\)"):
        read_generated_external_id(
            api_url=fake.url, token="t-valid", target_name=TARGET, account_id="333", retry=FAST
        )
    assert len(fake.faulted) == 4


def test_a_rejected_login_is_never_retried(fake: FakeAkeyless) -> None:
    with pytest.raises(AkeylessApiError, match="HTTP 401") as caught:
        login_token(
            api_url=fake.url, login="api_key", access_id="p-x", access_key="wrong", retry=FAST
        )
    assert "attempts" not in str(caught.value) and "wrong" not in str(caught.value)
    assert [route for route, _ in fake.requests] == ["/auth"]
