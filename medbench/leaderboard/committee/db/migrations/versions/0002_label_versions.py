"""Hidden labels by task version: a board keeps the labels of every version it opened.

`medbench board version` opens a newer task version with new hidden labels; the entries of an
older version are still reproduced and tested against the labels they were scored on, so those
stay. Each board's existing labels become those of its spec's task version.

Revision ID: 0002
Revises: 0001
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LABEL_COLUMNS = "board, truth, qrels, prediction_columns"


def upgrade() -> None:
    versions = op.create_table(
        "hidden_label_versions",
        sa.Column("board", sa.String(200), sa.ForeignKey("boards.name"), primary_key=True),
        sa.Column("task_version", sa.String(64), primary_key=True),
        sa.Column("dataset_fingerprint", sa.String(128), nullable=False),
        sa.Column("truth", sa.LargeBinary, nullable=False),
        sa.Column("qrels", sa.LargeBinary, nullable=True),
        sa.Column("prediction_columns", sa.Text, nullable=False),
        sa.Column("release", sa.Text, nullable=True),
    )
    bind = op.get_bind()
    specs = {row.name: json.loads(row.spec) for row in bind.execute(sa.text("SELECT name, spec FROM boards"))}
    rows = [
        {
            "board": row.board, "task_version": specs[row.board]["protocol"]["version"],
            "dataset_fingerprint": specs[row.board]["dataset_fingerprint"], "truth": row.truth, "qrels": row.qrels,
            "prediction_columns": row.prediction_columns, "release": _release(specs[row.board]),
        }
        for row in bind.execute(sa.text(f"SELECT {LABEL_COLUMNS} FROM hidden_labels"))
    ]
    if rows:
        op.bulk_insert(versions, rows)
    op.drop_table("hidden_labels")


def _release(spec: dict) -> "str | None":
    """The board's release policy as JSON (None for a board made before policies)."""
    policy = spec.get("release")
    return json.dumps(policy, sort_keys=True, separators=(",", ":")) if policy is not None else None


def downgrade() -> None:
    """Back to one set of labels a board: its current task version's (older versions' labels are lost)."""
    labels = op.create_table(
        "hidden_labels",
        sa.Column("board", sa.String(200), sa.ForeignKey("boards.name"), primary_key=True),
        sa.Column("truth", sa.LargeBinary, nullable=False),
        sa.Column("qrels", sa.LargeBinary, nullable=True),
        sa.Column("prediction_columns", sa.Text, nullable=False),
    )
    bind = op.get_bind()
    current = {row.name: json.loads(row.spec)["protocol"]["version"] for row in bind.execute(sa.text("SELECT name, spec FROM boards"))}
    rows = [
        {"board": row.board, "truth": row.truth, "qrels": row.qrels, "prediction_columns": row.prediction_columns}
        for row in bind.execute(sa.text(f"SELECT task_version, {LABEL_COLUMNS} FROM hidden_label_versions"))
        if current.get(row.board) == row.task_version
    ]
    if rows:
        op.bulk_insert(labels, rows)
    op.drop_table("hidden_label_versions")
