"""``orgctl pr-comment``: the PR comment from a PR's ``render.json``, by this (trusted) code.

What ``.github/workflows/pr-comment.yml`` runs in the base repository: the pull request's
run hands over only its render, as data (``review/render_records.py``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from akeyless_gateway_org.cli.base import EXIT_OK
from akeyless_gateway_org.review.pr_comment import MARKER, render_comment
from akeyless_gateway_org.review.render_records import provenance_note, records_from_render_json


class PrCommentCommand:
    name = "pr-comment"
    help = "write the PR comment of a pull request's render.json (the trusted workflow_run job)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--render", type=Path, required=True, help="the PR's render.json")
        parser.add_argument(
            "--head-sha", required=True, help="the PR commit that rendered it (40 hex digits)"
        )
        parser.add_argument("--out", type=Path, required=True, help="where to write the comment")

    def run(self, args: argparse.Namespace) -> int:
        note = provenance_note(args.head_sha)
        records = records_from_render_json(args.render.read_bytes())
        body = render_comment(
            records, title="Akeyless Gateway: desired state (offline render, no credentials)"
        )
        # The note goes right under the marker, above everything the PR's render says.
        rest = body.removeprefix(MARKER + "\n")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(f"{MARKER}\n{note}\n\n{rest}", encoding="utf-8")
        return EXIT_OK
