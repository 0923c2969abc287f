from django.core.management.base import BaseCommand

from sharing.services import stores_setup


class Command(BaseCommand):
    help = "Prepare the configured record and blob stores (tables, buckets, folders). Safe to repeat."

    def handle(self, *args, **options):
        stores_setup()
        self.stdout.write("Storage is ready.")
