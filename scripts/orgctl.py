"""``python -m scripts.orgctl``: the organization-wide command line.

Verbs:
  render --config FILE [--out DIR]   evaluate every stack offline, write render.json/.md

Exit status: 0 success, 1 failure while running, 2 invalid input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from components.program import MissingProviderSdk
from config.validation import ConfigError, load_org_file

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.orgctl",
        description="Deploy the Akeyless Gateway across an AWS Organization.",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    render = verbs.add_parser(
        "render", help="evaluate every stack under Pulumi's mocks; no CLI, cloud or network"
    )
    render.add_argument("--config", required=True, type=Path, help="the org deployment YAML")
    render.add_argument(
        "--out", type=Path, default=Path("build/render"), help="output folder (build/render)"
    )
    return parser


def _render(config: Path, out: Path) -> int:
    from scripts.render import RenderError, render, write_render

    org = load_org_file(config)
    try:
        stacks = render(org)
    except RenderError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    json_path, md_path = write_render(stacks, out)
    resources = sum(len(stack.resources) for stack in stacks)
    print(f"rendered {len(stacks)} stacks, {resources} resources: {json_path}, {md_path}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.verb == "render":
            return _render(args.config, args.out)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    except MissingProviderSdk as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
