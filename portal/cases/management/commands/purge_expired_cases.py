"""Delete the cases whose retention period is over, as the consent text promises (run it daily from cron)."""

from django.core.management.base import BaseCommand

from portal.cases.retention import purge_expired_cases


class Command(BaseCommand):
    help = "Delete cases past their retention date with their files and advice, and expired uploads."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted; delete nothing.")

    def handle(self, *args, dry_run, **options):
        purge = purge_expired_cases(dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(
            f"{verb}: {purge.cases} cases, {purge.advice} advice, {purge.files} case files, "
            f"{purge.orphan_files} orphaned case files, {purge.pending_uploads} expired uploads."
        )
