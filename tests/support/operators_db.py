"""
Django's database holds only the operators' accounts (and sessions); the
tests that need it (the dashboard, the operator's choices) ask for ``db``.

pytest-django runs database tests first, and an in-memory SQLite test database
keeps its connection open for good (closing it would drop the database).
Django's request_finished signal then probes that connection when a later test
closes a streamed response, which a test without database access may not do.
So every test database is a file, and no test leaves a connection open.
"""

import pytest
from django.contrib.auth.models import User
from django.db import connections
from django.test import Client


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    from django.conf import settings

    settings.DATABASES["default"]["TEST"]["NAME"] = str(tmp_path_factory.mktemp("operators") / "db.sqlite3")


@pytest.fixture(autouse=True)
def no_database_connection_left_open(request):
    yield
    # Only tests with database access opened one; the others may run beside
    # Playwright's event loop, where Django refuses synchronous database calls.
    if "db" in request.fixturenames or "transactional_db" in request.fixturenames:
        connections.close_all()


@pytest.fixture
def staff(db):
    """A client logged in as staff: may see the dashboard."""
    user = User.objects.create_user("operator", password="operator password 1", is_staff=True)
    client = Client()
    client.force_login(user)
    return client
