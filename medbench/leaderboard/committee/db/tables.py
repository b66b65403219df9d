"""The schema of the committee's store (SQLAlchemy Core; Alembic's migrations create it).

Public: a board's spec and protocol, entries (aggregates only), the audit log. Server-only, never
exported: `hidden_labels` (the test set's ground truth, one set per task version the board opened), `entries.scores` (the per-sample scores a
submission sent, kept for tiers and reproduction) and `users.token_sha256`.
`entries` and `audit_events` are append-only: triggers in the database refuse UPDATE and DELETE.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, LargeBinary, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()

boards = Table(
    "boards",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("spec", Text, nullable=False),  # schema.BoardSpec JSON (protocol included); `baseline` changes via logged events
    Column("daily_quota", Integer, nullable=False),
)

hidden_labels = Table(
    "hidden_label_versions",
    metadata,
    Column("board", String(200), ForeignKey("boards.name"), primary_key=True),
    # The version's entries are scored, reproduced and tested against its labels, also once a newer one is open.
    Column("task_version", String(64), primary_key=True),
    Column("dataset_fingerprint", String(128), nullable=False),
    Column("truth", LargeBinary, nullable=False),  # parquet: sample_id + target/time/event + metadata columns
    Column("qrels", LargeBinary, nullable=True),  # parquet, retrieval only
    Column("prediction_columns", Text, nullable=False),  # JSON list: what a submission must send
    # release.ReleasePolicy JSON the version's entries are released under (null: made before policies)
    Column("release", Text, nullable=True),
)

users = Table(
    "users",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("role", String(20), nullable=False),
    Column("team", String(128), nullable=True),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_at", String(40), nullable=False),
)

entries = Table(
    "entries",
    metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of `content`
    Column("board", String(200), ForeignKey("boards.name"), nullable=False, index=True),
    Column("submission_key", String(64), nullable=False),
    Column("team", String(128), nullable=True),
    Column("submitted_by", String(128), nullable=False),
    Column("submitted_at", String(40), nullable=False),
    Column("content", Text, nullable=False),  # canonical JSON {"entry": Entry, "subgroups": {...}}
    Column("scores", LargeBinary, nullable=False),  # parquet of the submitted per-sample scores
    UniqueConstraint("board", "submission_key", name="uq_entries_board_submission"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("time", String(40), nullable=False),
    Column("board", String(200), nullable=True),
    Column("event", String(40), nullable=False),
    Column("entry", String(64), nullable=True, index=True),
    Column("actor", String(128), nullable=False),
    Column("note", Text, nullable=False),
    Column("data", Text, nullable=False),
    Column("prev", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
    Column("signature", String(128), nullable=False),
)


def _one_row(name: str, *columns: Column) -> Table:
    """A table that holds a single row (id 1), which the store reads and locks as one value."""
    return Table(name, metadata, Column("id", Integer, primary_key=True, autoincrement=False), *columns)


# The last event's seq and hash. Appenders lock it, so the chain has one order.
log_head = _one_row("log_head", Column("seq", Integer, nullable=False), Column("hash", String(64), nullable=False))

# The public key the log is signed with, so a server started with another key refuses.
server_key = _one_row("server_key", Column("public_key", Text, nullable=False))
