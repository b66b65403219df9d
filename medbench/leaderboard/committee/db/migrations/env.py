"""Alembic environment: migrations run on the connection `engine.upgrade` hands over."""

from alembic import context

from medbench.leaderboard.committee.db.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
