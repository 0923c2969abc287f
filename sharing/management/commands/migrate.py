"""
Django's ``migrate``, made safe to run from several machines starting at once.

On PostgreSQL the whole run holds a session-level advisory lock: the first
machine migrates, the others wait, then find nothing left to do. Without it two
machines each create the same tables and one fails (or worse, half-fails).
SQLite is one file on one machine, where Django's own locking suffices.
"""

from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections

# Any constant both sides agree on; this one is "pysecrets migrate" in ASCII, cut to 63 bits.
MIGRATE_LOCK_ID = 0x7079736563726574 & 0x7FFFFFFFFFFFFFFF


class Command(DjangoMigrate):
    def handle(self, *args, **options):
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            return super().handle(*args, **options)
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATE_LOCK_ID])
        try:
            return super().handle(*args, **options)
        finally:
            # The lock belongs to the session: if migrate closed it, that released the lock too.
            if connection.connection is not None:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATE_LOCK_ID])
