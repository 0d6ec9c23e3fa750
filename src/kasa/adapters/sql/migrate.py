"""``kasa db upgrade``: Alembic migrations are the only way the schema is made."""

from __future__ import annotations

import attrs
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from kasa.adapters.sql.database import make_engine
from kasa.adapters.sql.reference import REFERENCE, load_reference_data

SCRIPT_LOCATION = "kasa.adapters.sql:migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@attrs.frozen
class UpgradeResult:
    before: str | None
    after: str | None
    reference_rows: int  # reference rows this run added or corrected
    tables: int = 0  # the schema's tables after the run
    # the reference tables' rows after the run, by table
    reference: dict[str, int] = attrs.field(factory=dict)

    @property
    def changed(self) -> bool:
        return self.before != self.after or self.reference_rows > 0


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def known_revisions() -> set[str]:
    """Every schema revision this Kasa's migrations know."""
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {script.revision for script in scripts.walk_revisions()}


def upgrade(url: str) -> UpgradeResult:
    """Bring the schema to the newest migration and load the reference data."""
    before = current_revision(url)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        with engine.begin() as connection:
            rows = load_reference_data(connection)
            tables = len(sa.inspect(connection).get_table_names())
            reference = {
                name: int(
                    connection.execute(
                        sa.select(sa.func.count()).select_from(sa.table(name))
                    ).scalar_one()
                )
                for name in REFERENCE
            }
    finally:
        engine.dispose()
    return UpgradeResult(before, current_revision(url), rows, tables, reference)
