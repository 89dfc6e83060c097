"""Org files are untrusted: no input may cost unbounded time or memory or end in a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from akeyless_gateway_org.config.fields import (
    EXTRA_API_HOSTS_VARIABLE,
    MAX_USER_TAGS,
    image_repository_and_tag,
)
from akeyless_gateway_org.config.model import OrgDeployment
from akeyless_gateway_org.config.org_file import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    OrgFileError,
    parse_org_yaml,
)
from akeyless_gateway_org.config.validation import ConfigError, load_org_file, parse_org
from tests.conftest import CENTRALIZED_EXAMPLE, DISTRIBUTED_EXAMPLE

EXAMPLE_TEXT = CENTRALIZED_EXAMPLE.read_bytes()

# Nine levels of nine-fold aliases: 9**9 (387 million) list items once expanded.
ALIAS_BOMB = (
    b"pattern: centralized\n"
    b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + b"".join(
        f"{x}: &{x} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n".encode()
        for p, x in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + b"management_account_id: *i\n"
)


def problems_of_file(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_org_file(path)
    return str(caught.value)


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_bytes(ALIAS_BOMB)
    message = problems_of_file(path)
    assert "aliases" in message
    assert len(message) < 500


def test_a_duplicate_key_is_refused_not_silently_overridden(tmp_path: Path) -> None:
    text = EXAMPLE_TEXT.decode() + "\ngateway:\n  allowed_cidrs: [0.0.0.0/0]\n"
    path = tmp_path / "twice.yaml"
    path.write_text(text)
    message = problems_of_file(path)
    assert "'gateway' appears twice" in message


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(EXAMPLE_TEXT + b"#" * MAX_FILE_BYTES)
    assert "byte limit" in problems_of_file(path)


@pytest.mark.parametrize("opener,closer", [("[", "]"), ("{a: ", "}")])
def test_deep_nesting_is_refused(tmp_path: Path, opener: str, closer: str) -> None:
    path = tmp_path / "deep.yaml"
    depth = 10_000
    path.write_text("tags: " + opener * depth + "1" + closer * depth + "\n")
    message = problems_of_file(path)
    assert f"deeper than {MAX_DEPTH}" in message


def test_non_utf8_input_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(EXAMPLE_TEXT + "tags: {owner: José}\n".encode("latin-1"))
    assert "not UTF-8" in problems_of_file(path)


def test_a_huge_value_is_never_echoed_whole() -> None:
    data = {"pattern": "centralized", "management_account_id": "9" * 100_000}
    with pytest.raises(ConfigError) as caught:
        parse_org(data, "huge.yaml")
    assert len(str(caught.value)) < 2_000
    assert "must be a 12-digit AWS account ID" in str(caught.value)


def test_a_nested_value_is_named_by_its_type_not_printed() -> None:
    data = {"pattern": "centralized", "management_account_id": [["x" * 1000] * 1000]}
    with pytest.raises(ConfigError) as caught:
        parse_org(data, "nested.yaml")
    assert len(str(caught.value)) < 2_000


def test_too_many_tags_and_tags_outside_aws_characters_are_refused() -> None:
    org = load_org_file(CENTRALIZED_EXAMPLE).model_dump(mode="json")
    org["tags"] = {f"k{index}": "v" for index in range(MAX_USER_TAGS + 1)}
    with pytest.raises(ConfigError) as caught:
        parse_org(org, "tags.yaml")
    assert any(problem.path == "tags" for problem in caught.value.problems)
    org["tags"] = {"owner": "a`b![x](https://evil.example/x.png)"}
    with pytest.raises(ConfigError) as caught:
        parse_org(org, "tags.yaml")
    assert "'`' is not allowed" in str(caught.value)


def test_org_and_account_tags_together_stay_under_the_limit() -> None:
    org = load_org_file(CENTRALIZED_EXAMPLE).model_dump(mode="json")
    org["tags"] = {f"org{index}": "v" for index in range(MAX_USER_TAGS)}
    org["accounts"][0]["tags"] = {"team": "payments"}
    with pytest.raises(ConfigError) as caught:
        parse_org(org, "tags.yaml")
    paths = [problem.path for problem in caught.value.problems]
    assert "accounts[0].tags" in paths
    assert "tags" not in paths


def test_the_problem_list_is_capped() -> None:
    org = load_org_file(CENTRALIZED_EXAMPLE).model_dump(mode="json")
    org["regions"] = [f"xx-nowhere-{index}" for index in range(500)]
    with pytest.raises(ConfigError) as caught:
        parse_org(org, "regions.yaml")
    assert len(caught.value.problems) == 500
    assert "and 450 more" in str(caught.value)


def _mutations() -> st.SearchStrategy[bytes]:
    """The example files with bytes flipped, inserted and cut, plus YAML fragments spliced in."""
    fragments = st.sampled_from(
        [b"&a ", b"*a", b"<<: *a\n", b"{", b"[", b"- ", b": ", b"\n  ", b"!!python/object "]
    )
    base = st.sampled_from([EXAMPLE_TEXT, DISTRIBUTED_EXAMPLE.read_bytes()])

    @st.composite
    def mutated(draw: st.DrawFn) -> bytes:
        text = bytearray(draw(base))
        for _ in range(draw(st.integers(1, 8))):
            at = draw(st.integers(0, len(text)))
            choice = draw(st.integers(0, 3))
            if choice == 0 and at < len(text):
                text[at] = draw(st.integers(0, 255))
            elif choice == 1:
                text[at:at] = draw(fragments)
            elif choice == 2:
                text[at : at + draw(st.integers(1, 40))] = b""
            else:
                text[at:at] = draw(st.binary(max_size=20))
        return bytes(text)

    return mutated()


def _outcome(load: Callable[[], OrgDeployment]) -> str:
    """``loaded``, or the error message, which must be bounded; anything else propagates."""
    try:
        load()
    except (ConfigError, OrgFileError) as error:
        message = str(error)
        assert message and len(message) < 30_000
        return message
    return "loaded"


# The deadline is the bound: every input is judged in under a second.
@settings(max_examples=150, deadline=1000, suppress_health_check=[HealthCheck.too_slow])
@given(_mutations())
def test_mutated_org_files_never_raise_anything_but_a_config_error(raw: bytes) -> None:
    assert _outcome(lambda: parse_org(parse_org_yaml(raw), "fuzz.yaml"))


@settings(max_examples=100, deadline=1000)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=30),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=12), children, max_size=4)
        ),
        max_leaves=40,
    )
)
def test_generated_documents_never_raise_anything_but_a_config_error(data: object) -> None:
    assert _outcome(lambda: parse_org(data, "generated.yaml"))


def test_the_akeyless_api_url_must_be_an_akeyless_host(monkeypatch: pytest.MonkeyPatch) -> None:
    # A YAML-only pull request must not be able to send the deployer's signed AWS
    # login to a host of its choosing.
    org = load_org_file(CENTRALIZED_EXAMPLE).model_dump(mode="json")
    org["akeyless"]["api_url"] = "https://api.akeyless.io.collector.example"
    monkeypatch.delenv(EXTRA_API_HOSTS_VARIABLE, raising=False)
    with pytest.raises(ConfigError) as caught:
        parse_org(org, "collector.yaml")
    assert "akeyless.api_url" in [problem.path for problem in caught.value.problems]
    assert EXTRA_API_HOSTS_VARIABLE in str(caught.value)
    org["akeyless"]["api_url"] = "https://gateway.internal.example:8000/api/v2"
    monkeypatch.setenv(EXTRA_API_HOSTS_VARIABLE, "gateway.internal.example")
    assert parse_org(org, "gateway.yaml").akeyless.api_url.startswith("https://gateway.internal")


@pytest.mark.parametrize(
    "image",
    [
        "akeyless/gateway:5.0.1",
        "docker.io/akeyless/gateway:5.0.1",
        "akeyless/gateway:5.0.1@sha256:" + "ab" * 32,
        "222222222222.dkr.ecr.us-east-1.amazonaws.com/akeyless/gateway:5.0.1",  # the hub's
    ],
)
def test_a_pinned_gateway_image_is_accepted(image: str) -> None:
    org = load_org_file(CENTRALIZED_EXAMPLE).model_dump(mode="json")
    org["gateway"]["image"] = image
    assert parse_org(org, "image.yaml").gateway.image == image


@pytest.mark.parametrize(
    "image,why",
    [
        ("akeyless/gateway:5", "moves"),
        ("akeyless/gateway:5.0", "moves"),
        ("akeyless/gateway:LATEST", "moves"),
        ("akeyless/gateway:Latest", "moves"),
        ("akeyless/gateway", "moves"),
        ("akeyless/gateway@sha256:" + "ab" * 32, "moves"),
        ("evil.example/akeyless/gateway:5.0.1", "registry"),
        ("ghcr.io/akeyless/gateway:5.0.1", "registry"),
        ("someone/gateway:5.0.1", "akeyless/gateway image"),
    ],
)
def test_moving_tags_and_foreign_registries_are_refused(image: str, why: str) -> None:
    org = load_org_file(CENTRALIZED_EXAMPLE).model_dump(mode="json")
    org["gateway"]["image"] = image
    with pytest.raises(ConfigError) as caught:
        parse_org(org, "image.yaml")
    assert why in str(caught.value)


def test_the_helm_values_keep_tag_and_digest() -> None:
    digest = "sha256:" + "cd" * 32
    assert image_repository_and_tag(f"docker.io/akeyless/gateway:5.0.1@{digest}") == (
        "docker.io/akeyless/gateway",
        f"5.0.1@{digest}",
    )
