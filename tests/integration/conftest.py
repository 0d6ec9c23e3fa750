"""Backends for the integration tests: the in-memory fakes, SQLite in a temporary
folder, and a private MariaDB server started for the run (a failure in CI when it
cannot run, a skip elsewhere)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from kasa.adapters.sql.database import SqlDatabase
from kasa.adapters.sql.migrate import upgrade
from kasa.adapters.sql.schema import metadata
from kasa.application.repositories import UnitOfWork
from tests.support.mariadb import MariaDBServer, MariaDBUnavailable
from tests.support.seaweed import SeaweedServer, SeaweedUnavailable

REFERENCE_TABLES = {"identity_types", "payment_types", "request_statuses", "alembic_version"}
_names = itertools.count(1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def seaweed() -> Iterator[SeaweedServer]:
    """A private SeaweedFS (its S3 gateway) for the run."""
    try:
        server = SeaweedServer.start()
    except SeaweedUnavailable as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the object-store tests cannot run in CI: {error}")
        pytest.skip(f"SeaweedFS is not available: {error}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[MariaDBServer | str]:
    """A MariaDB to test against: ``KASA_TEST_MARIADB_URL`` if set, else a private one."""
    given = os.environ.get("KASA_TEST_MARIADB_URL")
    if given:
        yield given
        return
    try:
        server = MariaDBServer.start()
    except MariaDBUnavailable as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"MariaDB tests cannot run in CI: {error}")
        pytest.skip(f"MariaDB is not available: {error}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def replicated() -> Iterator[tuple[MariaDBServer, MariaDBServer]]:
    """A private MariaDB primary and a read-only replica following it, for the run."""
    try:
        primary, replica = MariaDBServer.replicated()
    except MariaDBUnavailable as error:
        pytest.skip(f"MariaDB is not available: {error}")
    try:
        yield primary, replica
    finally:
        replica.stop()
        primary.stop()


@pytest.fixture(scope="session")
def mariadb_url(mariadb_server: MariaDBServer | str) -> str:
    """One migrated database for the session; tests empty it before they start."""
    if isinstance(mariadb_server, str):
        url = mariadb_server
    else:
        url = mariadb_server.create_database("kasa_test")
    upgrade(url)
    return url


def empty_tables(database: SqlDatabase) -> None:
    """Delete every row but the reference data (children first)."""
    with database.engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            if table.name in REFERENCE_TABLES:
                continue
            if table.name == "members":
                connection.execute(sa.update(table).values(photo_file_id=None))
        for table in reversed(metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                connection.execute(table.delete())


@pytest.fixture(scope="session")
def mariadb_database(mariadb_url: str) -> Iterator[SqlDatabase]:
    database = SqlDatabase(mariadb_url, pool_size=20, max_overflow=10)
    yield database
    database.dispose()


def sqlite_database(folder: Path) -> SqlDatabase:
    url = f"sqlite:///{folder / f'kasa-{next(_names)}.db'}"
    upgrade(url)
    return SqlDatabase(url)


BACKENDS = ["sqlite", "mariadb"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def uow_factory(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], UnitOfWork]]:
    """A fresh, empty database of the chosen backend, as a unit-of-work factory."""
    if backend == "sqlite":
        database = sqlite_database(tmp_path)
        yield database.unit_of_work
        database.dispose()
    else:
        database = request.getfixturevalue("mariadb_database")
        empty_tables(database)
        yield database.unit_of_work
