"""Finish the predictions of cases saved while the model server could not answer (run it from cron)."""

from django.core.management.base import BaseCommand, CommandError

from portal.cases.models import Case
from portal.cases.services import complete_prediction


class Command(BaseCommand):
    help = "Run the model on saved cases whose prediction is still pending."

    def handle(self, *args, **options):
        pending = Case.objects.filter(prediction__isnull=True).order_by("created_at")
        completed = 0
        for case in pending:
            if not complete_prediction(case):
                # The model server is still down: trying the others now would only wait out more deadlines.
                raise CommandError(
                    f"The model server is not answering; {completed} completed, {pending.count() - completed} pending."
                )
            completed += 1
        self.stdout.write(f"{completed} completed, none pending.")
