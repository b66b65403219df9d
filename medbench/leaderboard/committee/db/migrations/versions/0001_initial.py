"""The committee's store: boards, hidden labels, users, entries, the signed audit log.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = ("entries", "audit_events")


def upgrade() -> None:
    op.create_table(
        "boards",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("spec", sa.Text, nullable=False),
        sa.Column("daily_quota", sa.Integer, nullable=False),
    )
    op.create_table(
        "hidden_labels",
        sa.Column("board", sa.String(200), sa.ForeignKey("boards.name"), primary_key=True),
        sa.Column("truth", sa.LargeBinary, nullable=False),
        sa.Column("qrels", sa.LargeBinary, nullable=True),
        sa.Column("prediction_columns", sa.Text, nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("team", sa.String(128), nullable=True),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "entries",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("board", sa.String(200), sa.ForeignKey("boards.name"), nullable=False, index=True),
        sa.Column("submission_key", sa.String(64), nullable=False),
        sa.Column("team", sa.String(128), nullable=True),
        sa.Column("submitted_by", sa.String(128), nullable=False),
        sa.Column("submitted_at", sa.String(40), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("scores", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("board", "submission_key", name="uq_entries_board_submission"),
    )
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("time", sa.String(40), nullable=False),
        sa.Column("board", sa.String(200), nullable=True),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("entry", sa.String(64), nullable=True, index=True),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("prev", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("signature", sa.String(128), nullable=False),
    )
    log_head = op.create_table(
        "log_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    # The empty log: the next event is number 0 and links to the genesis hash.
    op.bulk_insert(log_head, [{"id": 1, "seq": -1, "hash": "0" * 64}])
    op.create_table(
        "server_key",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("public_key", sa.Text, nullable=False),
    )
    _append_only_triggers()


def _append_only_triggers() -> None:
    """The database itself refuses to change or remove an entry or an audit event."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION medbench_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'medbench: % is append-only', TG_TABLE_NAME; END $$"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION medbench_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION medbench_append_only()"
            )
        return
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'medbench: {table} is append-only'); END"
            )


def downgrade() -> None:
    for table in ("server_key", "log_head", "audit_events", "entries", "users", "hidden_labels", "boards"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION medbench_append_only()")
