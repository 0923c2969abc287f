"""
pytest fixtures for what a fleet shares beside the AWS stores: Redis and
PostgreSQL, started once per test session when a test first asks.
"""

import uuid

import pytest

from tests.support.shared_servers import SharedServers


@pytest.fixture(scope="session")
def shared_servers():
    with SharedServers() as servers:
        yield servers


@pytest.fixture(scope="session")
def redis_url(shared_servers):
    return shared_servers.redis.redis_url


@pytest.fixture
def fresh_redis(shared_servers):
    """Redis emptied for this test."""
    shared_servers.redis.flush()
    return shared_servers.redis.redis_url


@pytest.fixture
def postgres_url(shared_servers):
    """The URL of a new, empty PostgreSQL database for this test."""
    return shared_servers.postgres.create_database(f"t_{uuid.uuid4().hex[:12]}")
