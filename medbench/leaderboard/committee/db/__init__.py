"""The committee's store: boards with hidden test labels, users, entries and the signed audit log,
in one SQL database (an embedded SQLite file, or PostgreSQL for a multi-team service).

`tables` declares the schema, `migrations/` evolves it (Alembic), `engine` opens a database and
brings it to the current schema.
"""
