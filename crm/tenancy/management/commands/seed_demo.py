from django.core.management.base import BaseCommand

from crm.tenancy.demo import DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = "Create the demo workspace `acme` and its team (idempotent) and print the logins."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, **options) -> None:
        logins = demo_seed(port=options["port"])
        heading = f"Demo data ready. Logins (password: {DEMO_PASSWORD}):"
        self.stdout.write(self.style.SUCCESS(heading))
        for login in logins:
            self.stdout.write(f"  {login.role:<18} {login.email:<26} {login.url}")
