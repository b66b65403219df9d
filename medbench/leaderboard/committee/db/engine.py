"""Open the committee's database by URL and bring it to the current schema (Alembic `upgrade head`).

    sqlite:///path/to/medbench.db              the embedded store (a file; no server)
    postgresql://user@host:5432/medbench       PostgreSQL, through psycopg 3

SQLite write transactions begin IMMEDIATE, so two writers never both read the log head and then
deadlock upgrading their locks; a writer waits (busy timeout) instead of failing. Reads (the
store's `read_only` connections) begin deferred and, in WAL mode, never wait for a writer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from medbench.errors import LeaderboardError

MIGRATIONS = Path(__file__).parent / "migrations"
# Serialises concurrent schema upgrades of one PostgreSQL database (any constant works).
MIGRATION_LOCK = 7_314_159
SQLITE_BUSY_TIMEOUT_S = 30
# The newest migration; a test keeps it equal to Alembic's head.
SCHEMA_REVISION = "0002"


def sqlalchemy_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (SQLAlchemy would pick psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def open_engine(url: str) -> Any:
    """An engine on `url` whose schema is current."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    target = sqlalchemy_url(url)
    try:
        if target.startswith("sqlite"):
            database = target.split("///", 1)[-1]
            if database and database != ":memory:":
                private_file(Path(database))
            engine = create_engine(target, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
            _immediate_transactions(engine, event)
        elif target.startswith("postgresql"):
            engine = create_engine(target, pool_size=10, max_overflow=20, pool_pre_ping=True)
        else:
            raise LeaderboardError(f"--db {url!r}: use sqlite:///FILE or postgresql://USER@HOST:PORT/DATABASE")
    except (ArgumentError, NoSuchModuleError) as error:
        raise LeaderboardError(f"--db {url!r}: {error}") from None
    upgrade(engine)
    return engine


def private_file(path: Path) -> None:
    """Create the database file readable by its owner only (it holds the hidden labels), before
    SQLite would create it under the process's umask; SQLite gives its -wal and -shm files the
    database file's mode. An existing file readable by others is narrowed to its owner."""
    import os
    import stat

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        status = path.stat()
        if stat.S_IMODE(status.st_mode) & 0o077 and status.st_uid == os.getuid():
            path.chmod(0o600)


def _immediate_transactions(engine: Any, event: Any) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy, not pysqlite, begins transactions
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get("read_only", False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def upgrade(engine: Any) -> None:
    """Run the migrations the database lacks; a current database is recognised without loading Alembic."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    try:
        with engine.connect() as connection:
            if connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == SCHEMA_REVISION:
                return
    except (OperationalError, ProgrammingError):
        pass  # a new database: no alembic_version table yet
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            _migrate(connection)
    except OperationalError as error:
        raise LeaderboardError(f"cannot open the database {engine.url.render_as_string(hide_password=True)}: {error.orig}") from None


def alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _migrate(connection: Any) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
