"""`manage.py create_api_key NAME --scopes predict,cases:read [--clinician USERNAME] [--rate 120/min]`."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portal.api.models import ApiKey


class Command(BaseCommand):
    help = "Create an API key and print it once; only its hash is stored."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--scopes", required=True, help="Comma-separated: predict, cases:read, cases:write.")
        parser.add_argument("--clinician", help="Username of the clinician who signs advice sent with this key.")
        parser.add_argument("--rate", default="120/min", help="Requests allowed per key, e.g. 120/min.")

    def handle(self, name, scopes, clinician, rate, **options):
        fields = {"rate": rate}
        if clinician:
            try:
                fields["clinician"] = get_user_model().objects.get(username=clinician)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user {clinician!r}.") from None
        try:
            _, key = ApiKey.issue(name, [scope.strip() for scope in scopes.split(",") if scope.strip()], **fields)
        except ValidationError as error:
            problems = error.message_dict.items()
            raise CommandError("; ".join(f"{field}: {' '.join(found)}" for field, found in problems)) from None
        self.stdout.write(key)
        self.stderr.write("Store this key now: it is not kept and cannot be shown again.")
