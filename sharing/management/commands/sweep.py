from django.core.management.base import BaseCommand

from sharing.services import secret_sweep


class Command(BaseCommand):
    help = "Delete expired secrets and blobs that no secret refers to. Correctness never waits for it."

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace",
            type=int,
            default=6 * 3600,
            help="Leave blobs younger than this many seconds: they may be uploads still in progress.",
        )

    def handle(self, *args, grace, **options):
        records, blobs = secret_sweep(grace_seconds=grace)
        self.stdout.write(f"Deleted {records} expired secrets and {blobs} orphan blobs.")
