"""Reading an org file safely: bounded in size, depth and nodes, no aliases, no duplicate keys.

The org file is untrusted input (it arrives in pull requests), so reading it must
never cost unbounded time or memory. PyYAML's ``safe_load`` is safe against code
execution but not against an alias bomb (a few hundred bytes of nested anchors
expand to billions of nodes), and it lets a second ``gateway:`` key silently
replace the first one, so a reviewer reading the first block signs off on
something else. This loader composes the document with PyYAML's own parser and
rejects each of those before anything is built from it.

PyYAML's composer (``yaml/composer.py``: ``compose_node`` handles ``AliasEvent``
by returning the anchored node again, which is what makes the bomb) and
constructor (``yaml/constructor.py``: ``construct_mapping`` keeps the last value
of a repeated key) are the two places hooked here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node

from akeyless_gateway_org.config.fields import bounded, shown
from akeyless_gateway_org.errors import InvalidInput

MAX_FILE_BYTES = 1024 * 1024
"""An org file of many hundred accounts is well under 100 KiB; 1 MiB leaves room."""

MAX_DEPTH = 32
"""The org file's schema nests at most 6 levels; anything deeper is not an org file."""

MAX_NODES = 200_000
"""Scalars, lists and mappings together: bounds the work after the byte limit."""


class OrgFileError(InvalidInput, ValueError):
    """The file cannot be read as an org file; the message says why, without echoing it."""


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases, deep nesting, too many nodes and duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise OrgFileError(
                f"line {mark.line + 1}: YAML aliases (*name) are not accepted in an org file; "
                "write the value out"
            )
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise OrgFileError(f"more than {MAX_NODES} YAML nodes; this is not an org file")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise OrgFileError(
                    f"line {mark.line + 1}: nested deeper than {MAX_DEPTH} levels; "
                    "this is not an org file"
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key: the constructor names it below
                break
            if duplicate:
                raise OrgFileError(
                    f"line {key_node.start_mark.line + 1}: key {shown(key)} appears twice in "
                    "the same mapping; a second one would silently replace the first"
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_org_yaml(raw: bytes) -> Any:
    """The YAML document in ``raw``, or OrgFileError saying what makes it unacceptable."""
    if len(raw) > MAX_FILE_BYTES:
        raise OrgFileError(f"{len(raw)} bytes is over the {MAX_FILE_BYTES}-byte limit")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise OrgFileError(f"not UTF-8 text (byte {error.start} is not valid UTF-8)") from None
    try:
        # The reader checks characters as soon as the loader is made: inside the try.
        loader = _BoundedLoader(text)
    except yaml.YAMLError as error:
        raise OrgFileError(f"not valid YAML: {bounded(str(error), 200)}") from None
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        where = f"line {error.problem_mark.line + 1}: " if error.problem_mark else ""
        # The problem text is PyYAML's own short phrase; the context snippet (which
        # echoes the input) is left out.
        raise OrgFileError(f"{where}not valid YAML: {error.problem}") from None
    except yaml.YAMLError as error:
        raise OrgFileError(f"not valid YAML: {bounded(str(error), 200)}") from None
    except RecursionError:
        raise OrgFileError("nested too deeply to read") from None
    finally:
        loader.dispose()


def read_org_yaml(path: Path) -> Any:
    """Read ``path`` (at most MAX_FILE_BYTES of it) and parse it with parse_org_yaml."""
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise OrgFileError(f"cannot read the file: {error.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise OrgFileError(f"the file is over the {MAX_FILE_BYTES}-byte limit")
    return parse_org_yaml(raw)
