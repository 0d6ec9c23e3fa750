"""Alembic environment: Kasa's metadata, and the connection ``kasa db upgrade`` gives."""

from __future__ import annotations

from alembic import context

from kasa.adapters.sql.database import make_engine
from kasa.adapters.sql.schema import metadata

config = context.config
target_metadata = metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Kasa migrations run online only: use `kasa db upgrade`.")
run_migrations_online()
