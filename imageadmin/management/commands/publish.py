"""manage.py publish: make AWS serve the presets in the database, and record it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from imageadmin import publishing
from imageadmin.models import Publication, PublicationStatus

MARKS = {
    publishing.Outcome.OK: "done",
    publishing.Outcome.UNCHANGED: "unchanged",
    publishing.Outcome.SKIPPED: "skipped",
    publishing.Outcome.FAILED: "FAILED",
    publishing.Outcome.NOT_RUN: "not run",
    publishing.Outcome.DRY_RUN: "would do",
}


class Command(BaseCommand):
    help = (
        "Publish the active presets to AWS: the presets JSON the Lambda reads, the bucket's "
        "routing and lifecycle rules; then delete the variants of presets changed since the last "
        "publication and invalidate them in CloudFront. Steps already matching AWS are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="show what would change (with diffs) and write nothing to AWS; the dry run is "
            "still recorded as a Publication",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run: bool = options["dry_run"]
        self.show_diffs = dry_run or options["verbosity"] >= 2
        try:
            publication = publishing.publish(dry_run=dry_run, via="command", on_step=self.step)
        except publishing.PublishInProgress as err:
            raise CommandError(str(err)) from err
        if publication.status == PublicationStatus.FAILED:
            raise CommandError(
                f"{publication} failed in step {publication.failed_step}: {publication.error}"
            )
        self.stdout.write(self.style.SUCCESS(self.outcome(publication)))

    def outcome(self, publication: Publication) -> str:
        if publication.status == PublicationStatus.DRY_RUN:
            return f"Dry run recorded as {publication}: nothing was written to AWS."
        return f"Published ({publication})."

    def step(self, publication: Publication, step: dict[str, Any]) -> None:
        outcome = publishing.Outcome(step["outcome"])
        line = f"[{MARKS[outcome]}] {step['title']}"
        if step["detail"]:
            line += f": {step['detail']}"
        if step["request_ids"]:
            line += f" (request {', '.join(step['request_ids'])})"
        style = self.style.ERROR if outcome == publishing.Outcome.FAILED else str
        self.stdout.write(style(line))
        if step["error"]:
            self.stdout.write(self.style.ERROR(f"    {step['error']}"))
        if step["name"] == "read" and outcome == publishing.Outcome.OK:
            self.changes(publication.changes)

    def changes(self, changes: dict[str, Any]) -> None:
        """Print what differs between AWS and the presets (with unified diffs when asked)."""
        for config in changes.get("config", []):
            self.stdout.write(f"    {publishing.STEP_TITLES[config['name']]}: {config['summary']}")
            for item in config["items"]:
                self.stdout.write("      " + item.replace("\n", "\n      "))
            if self.show_diffs and config["diff"]:
                self.stdout.write(config["diff"].rstrip("\n"))
        for purge in changes.get("purge", []):
            self.stdout.write(
                f"    purge {purge['preset']} ({purge['reason']}): {purge['objects']} objects "
                f"in S3, {purge['rows']} variant rows"
            )
        for new in changes.get("new_urls", []):
            self.stdout.write(
                f"    new URLs {new['preset']} ({new['reason']}): token {new['old_token'] or '-'}"
                f" -> {new['new_token']}; old URLs redirect, {new['rows']} variant rows retired "
                "(their objects expire)"
            )
        for note in changes.get("notes", []):
            self.stdout.write(f"    note: {note}")
