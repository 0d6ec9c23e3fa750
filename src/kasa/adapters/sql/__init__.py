"""The database: SQLAlchemy tables, a data mapper onto the domain, repositories, the
unit of work and Alembic migrations. SQLite by default, MariaDB/MySQL in production."""
