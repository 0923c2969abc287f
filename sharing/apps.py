from pathlib import Path

from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "sharing"
    verbose_name = "Secret sharing"

    def ready(self):
        from django.conf import settings

        from sharing import checks  # noqa: F401 - registers the start-up checks
        from sharing.privatefiles import private_dir, private_file

        # Before any connection: SQLite creates a missing database file with the
        # umask's mode, and its journal files with the database file's.
        private_dir(settings.DATA_DIR)
        for database in settings.DATABASES.values():
            name = str(database.get("NAME") or "")
            if (
                database.get("ENGINE") == "django.db.backends.sqlite3"
                and name
                and not name.startswith((":memory:", "file:"))
            ):
                private_dir(Path(name).parent)
                private_file(name)
