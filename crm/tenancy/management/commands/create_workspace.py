import secrets

from django.core.management.base import BaseCommand, CommandError

from crm.tenancy.models import Workspace
from crm.tenancy.services import WorkspaceError, workspace_create


class Command(BaseCommand):
    help = "Provision a workspace: its schema, its domain <slug>.<BASE_DOMAIN> and its owner."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", help="the workspace address, e.g. acme")
        parser.add_argument("--name", required=True, help="the company's name")
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--owner-name", default="")
        parser.add_argument(
            "--owner-password", default=None,
            help="omit to generate one, printed once",
        )  # fmt: skip
        parser.add_argument("--timezone", default="UTC")
        parser.add_argument("--locale", default="en-us")
        parser.add_argument("--plan", default=Workspace.Plan.FREE, choices=Workspace.Plan.values)

    def handle(self, *args, **options) -> None:
        password = options["owner_password"] or secrets.token_urlsafe(12)
        try:
            provisioned = workspace_create(
                name=options["name"],
                slug=options["slug"],
                owner_email=options["owner_email"],
                owner_password=password,
                owner_name=options["owner_name"],
                timezone_name=options["timezone"],
                locale=options["locale"],
                plan=options["plan"],
            )
        except WorkspaceError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Created workspace {provisioned.workspace.slug}"))
        self.stdout.write(f"  URL:   http://{provisioned.domain.domain}:8000/")
        self.stdout.write(f"  Owner: {options['owner_email']}")
        if not options["owner_password"]:
            self.stdout.write(f"  Password (shown once): {password}")
