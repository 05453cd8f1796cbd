"""Write one case's data to a ZIP file, for an operator answering a patient's request for their data."""

import os

from django.core.management.base import BaseCommand, CommandError

from portal.cases.export import export_case
from portal.cases.models import Case

ACTOR = "command:export_case"  # who the audit trail says exported the case


class Command(BaseCommand):
    help = "Export one case (its answers, prediction, advice, audit trail and files) as a ZIP file."

    def add_arguments(self, parser):
        parser.add_argument("reference", help="The case's reference (the end of the patient's case link).")
        parser.add_argument("--out", required=True, help="The ZIP file to write; it must not exist yet.")

    def handle(self, *args, reference, out, **options):
        case = Case.objects.filter(reference=reference).first()
        if case is None:
            raise CommandError("No case has this reference.")
        try:  # readable by its owner only: it holds a patient's data
            descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise CommandError(f"{out} exists already; choose another file.") from None
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(export_case(case, None, None, via="command", username=ACTOR))
        except BaseException:
            os.unlink(out)  # no half-written copy of a patient's data left behind
            raise
        self.stdout.write(f"Case {case.reference[:8]}… written to {out}.")
