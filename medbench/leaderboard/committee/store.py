"""The committee's store: one API over an embedded SQLite file or PostgreSQL (`db.engine`).

Boards hold hidden test labels; submissions send per-sample scores and the store scores them
(`hidden`); users act through API tokens with roles; every change is one transaction that also
appends its signed, hash-chained audit event (`signed_log`). The HTTP service (`medbench serve`)
and the local commands (`--db URL`) are both thin layers over :class:`CommitteeStore`.

Roles: `submitter` submits for its team; `reviewer` records reproductions and approves or
rejects other teams' entries; `admin` does all of that and creates boards and users.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from medbench.errors import LeaderboardError
from medbench.io import canonical_bytes, compact_bytes, sha256_hex
from medbench.names import checked_name
from medbench.leaderboard.board.events import Event, event_hash, now_utc
from medbench.leaderboard.board.entries import checked_description
from medbench.leaderboard.board.lifecycle import (
    DECISIONS,
    REPRODUCED,
    SUBMITTED,
    Forbidden,
    check_baseline,
    check_reviewer,
    check_step,
    next_state,
    review_states,
)
from medbench.leaderboard.committee.signed_log import head_message

if TYPE_CHECKING:
    import pandas as pd

    from medbench.leaderboard.committee.hidden import HiddenLabels
    from medbench.leaderboard.board.key_history import KeyPeriod
    from medbench.leaderboard.board.release import ReleasePolicy
    from medbench.leaderboard.board.schema import BoardSpec, Entry
    from medbench.records.protocol import Protocol

SUBMITTER, REVIEWER, ADMIN = "submitter", "reviewer", "admin"
ROLES = (SUBMITTER, REVIEWER, ADMIN)
DEFAULT_DAILY_QUOTA = 5
class Unauthenticated(LeaderboardError):
    """No token, or one the store does not know."""


class NotFound(LeaderboardError):
    """No such board or entry."""


class QuotaExceeded(LeaderboardError):
    """The team used its submissions of the day on this board (or a reviewer their reproductions)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    team: Optional[str]


@dataclass(frozen=True)
class SubmitOutcome:
    board: str
    entry_id: str
    added: bool
    aggregates: dict[str, Any]  # the entry (schema.Entry as JSON) with the numbers the release policy gives the submitter
    held: bool = False  # the Ladder rule kept the team's best: this entry's own numbers are not released


def hash_token(token: str) -> str:
    return sha256_hex(token.encode("utf-8"))


def stamp() -> str:
    """The committee stamps events, users and entries to the microsecond (many happen within a second)."""
    return now_utc("microseconds")


class CommitteeStore:
    """The store on `url`, signing with the Ed25519 key in `key_path` (created on first use)."""

    def __init__(self, url: str, key_path: Path) -> None:
        from medbench.leaderboard.committee.db.engine import open_engine
        from medbench.leaderboard.board.signing import load_or_create_key, public_pem

        self.key_path = Path(key_path)
        self._key = load_or_create_key(self.key_path)  # a wrong key is refused before the database is touched
        self.engine = open_engine(url)
        self.public_key = public_pem(self._key)
        self._check_key()

    def _check_key(self) -> None:
        """The first store records its key; later ones must hold the log's current key (after a rotation: the new one)."""
        from sqlalchemy import insert

        from medbench.leaderboard.committee.db.tables import server_key

        with self.engine.begin() as connection:
            keys = self._public_keys(connection)
            if not keys:
                connection.execute(insert(server_key).values(id=1, public_key=self.public_key))
            elif keys[-1] != self.public_key:
                self._follow_rotation(keys)

    def current_public_key(self) -> str:
        """The public key that signs the log now (a rotation by another process is followed first)."""
        with self._reading() as connection:
            self._current_signer(connection)
        return self.public_key

    def _public_keys(self, connection: Any) -> list[str]:
        """Every public key the log was signed with, oldest first; the last one signs now."""
        from sqlalchemy import select

        from medbench.leaderboard.committee.db.tables import server_key

        return list(connection.execute(select(server_key.c.public_key).order_by(server_key.c.id)).scalars())

    def _follow_rotation(self, keys: list[str]) -> None:
        """Sign with the log's current key `keys[-1]`: the key file holds it once a rotation (here or in another
        process) is done, and a rotation cut short before its last rename is finished (`key_files`)."""
        from medbench.leaderboard.board.signing import fingerprint
        from medbench.leaderboard.committee.key_files import finish_rotation

        key = finish_rotation(self.key_path, keys[-1])
        if key is None:
            current, mine = fingerprint(keys[-1]), fingerprint(self.public_key)
            if self.public_key in keys:
                raise LeaderboardError(
                    f"{self.key_path}: holds the retired key {mine}; this database's log was rotated to key {current} "
                    "(`medbench admin key rotate`): pass that key (--key or $MEDBENCH_KEY)"
                )
            raise LeaderboardError(
                f"{self.key_path}: this database's log is signed with key {current}, not with this key "
                f"({mine}); pass the server's key (--key or $MEDBENCH_KEY)"
            )
        self._key, self.public_key = key, keys[-1]

    def _current_signer(self, connection: Any) -> Any:
        """The private key for the log's current public key (one read; a rotation elsewhere is followed)."""
        from sqlalchemy import select

        from medbench.leaderboard.committee.db.tables import server_key

        current = connection.execute(select(server_key.c.public_key).order_by(server_key.c.id.desc()).limit(1)).scalar()
        if current != self.public_key:
            self._follow_rotation(self._public_keys(connection))
        return self._key

    def admit_rotation(self, actor: Optional[User]) -> None:
        """Only an admin hands the log to a new key."""
        _require(actor, ADMIN, "rotate the signing key")

    def record_rotation(self, new_key: Any, actor: User) -> Event:
        """Append the `key_rotated` event (signed by the current key) and make `new_key` the log's key, in one
        transaction; the key files around it are `key_files.rotate`'s."""
        from sqlalchemy import func, insert, select

        from medbench.leaderboard.board.key_history import KEY_ROTATED, rotation_data
        from medbench.leaderboard.board.signing import fingerprint, public_pem
        from medbench.leaderboard.committee.db.tables import server_key

        self.admit_rotation(actor)
        new_public = public_pem(new_key)
        with self.engine.begin() as connection:
            self._lock_head(connection)
            self._current_signer(connection)
            event = self._append(
                connection, KEY_ROTATED, actor=actor.name,
                note=f"signing key {fingerprint(self.public_key)} hands the log to {fingerprint(new_public)}",
                data=rotation_data(new_public, self.public_key),
            )
            next_id = connection.execute(select(func.max(server_key.c.id))).scalar() + 1
            connection.execute(insert(server_key).values(id=next_id, public_key=new_public))
        self._key, self.public_key = new_key, new_public
        return event

    def key_history(self, events: Optional[list[Event]] = None) -> list["KeyPeriod"]:
        """The log's keys, oldest first, with when each was rotated in (of `events`, a snapshot of the log, or the log now)."""
        from medbench.leaderboard.board.key_history import KEY_ROTATED, history_of

        with self._reading() as connection:
            first = self._public_keys(connection)[0]
            if events is None:
                events = self._events(connection, event=KEY_ROTATED)
        return history_of(first, events)

    def close(self) -> None:
        self.engine.dispose()

    def _reading(self) -> Any:
        """A connection for reads only (SQLite: a deferred transaction, never waiting for writers)."""
        return self.engine.connect().execution_options(read_only=True)

    # --- users -----------------------------------------------------------------------------------

    def create_user(self, name: str, role: str, team: Optional[str], actor: Optional[User]) -> tuple[User, str]:
        """Add a user; return it and its token (shown once: only its hash is kept).

        The first user of a store must be an admin and needs no actor; later ones need an admin.
        """
        from sqlalchemy import func, insert, select

        from medbench.leaderboard.committee.db.tables import users

        if role not in ROLES:
            raise LeaderboardError(f"--role {role!r}: choose one of {', '.join(ROLES)}")
        if role == SUBMITTER and not team:
            raise LeaderboardError("a submitter submits for a team: pass --team")
        # User and team names are shown everywhere, board names become folders of the export: plain names only.
        checked_name(name, "user name")
        if team:
            checked_name(team, "team name")
        token = "mb_" + secrets.token_urlsafe(32)
        with self.engine.begin() as connection:
            self._lock_head(connection)
            existing = connection.execute(select(func.count()).select_from(users)).scalar()
            if existing == 0:
                if role != ADMIN:
                    raise LeaderboardError("the first user must be an admin (--role admin)")
                actor_name = name
            else:
                _require(actor, ADMIN, "create users")
                actor_name = actor.name
            if connection.execute(select(users.c.name).where(users.c.name == name)).first():
                raise LeaderboardError(f"user {name!r} exists already")
            connection.execute(
                insert(users).values(name=name, role=role, team=team, token_sha256=hash_token(token), created_at=stamp())
            )
            self._append(connection, "create_user", actor=actor_name, data={"name": name, "role": role, "team": team})
        return User(name, role, team), token

    def authenticate(self, token: Optional[str]) -> User:
        from sqlalchemy import select

        from medbench.leaderboard.committee.db.tables import users

        if not token:
            raise Unauthenticated("this needs an API token: set MEDBENCH_TOKEN (an admin creates one with `medbench admin create-user`)")
        with self._reading() as connection:
            row = connection.execute(
                select(users.c.name, users.c.role, users.c.team).where(users.c.token_sha256 == hash_token(token))
            ).first()
        if row is None:
            raise Unauthenticated("unknown API token (check MEDBENCH_TOKEN)")
        return User(row.name, row.role, row.team)

    # --- boards ----------------------------------------------------------------------------------

    def create_board(self, spec: "BoardSpec", labels: "HiddenLabels", daily_quota: int, actor: User) -> Event:
        from sqlalchemy import insert, select

        from medbench.leaderboard.board.release import check_policy
        from medbench.leaderboard.committee.db.tables import boards, hidden_labels

        _require(actor, ADMIN, "create boards")
        checked_name(spec.name, "board name")
        if daily_quota < 1:
            raise LeaderboardError(f"--daily-quota {daily_quota}: must be at least 1")
        if spec.release is None:
            raise LeaderboardError(f"board {spec.name!r}: a hidden-label board needs a release policy (`board.release.default_policy`)")
        check_policy(spec.release, spec.protocol, len(labels.truth))
        spec_bytes = canonical_bytes(spec.model_dump(mode="json"))
        with self.engine.begin() as connection:
            self._lock_head(connection)
            if connection.execute(select(boards.c.name).where(boards.c.name == spec.name)).first():
                raise LeaderboardError(f"board {spec.name!r} exists already")
            connection.execute(
                insert(boards).values(name=spec.name, spec=spec_bytes.decode("utf-8"), daily_quota=daily_quota)
            )
            connection.execute(insert(hidden_labels).values(**_label_row(spec, labels)))
            return self._append(
                connection, "create", board=spec.name, actor=actor.name,
                data={
                    "board_sha256": sha256_hex(spec_bytes), "daily_quota": daily_quota,
                    "n_samples": len(labels.truth), "release": spec.release.model_dump(mode="json"),
                },
            )

    def open_version(
        self, board: str, protocol: "Protocol", dataset_fingerprint: str, labels: "HiddenLabels", actor: User,
        *, pathways: Any = None, note: str = "",
    ) -> Event:
        """The committee opens a newer task version of `board` with its new hidden labels (`medbench board
        version`): the rule of `lifecycle.open_version` (the same task, a newer version; a submission
        never does this), the release policy carried over and recomputed for the new test set
        (`release.policy_for_version`), `pathways` the new cohort's. The older versions' labels stay,
        so their entries, now stale, are still reproduced against what they were scored on."""
        from sqlalchemy import insert, update

        from medbench.leaderboard.board.lifecycle import open_version
        from medbench.leaderboard.board.release import check_policy, default_policy, policy_for_version
        from medbench.leaderboard.board.schema import BoardSpec
        from medbench.leaderboard.committee.db.tables import boards, hidden_labels

        _require(actor, ADMIN, "open task versions")
        n_test = len(labels.truth)
        with self.engine.begin() as connection:
            self._lock_head(connection)
            spec = BoardSpec.model_validate_json(self._board_row(board, connection).spec)
            new_spec = open_version(spec, protocol, dataset_fingerprint)
            old_n = len(self._labels(connection, board, spec.task_version).truth)
            policy = policy_for_version(spec.release or default_policy(spec.protocol, old_n), spec.protocol, old_n, protocol, n_test)
            check_policy(policy, protocol, n_test)
            new_spec = new_spec.model_copy(update={"release": policy, "pathways": pathways})
            spec_bytes = canonical_bytes(new_spec.model_dump(mode="json"))
            connection.execute(update(boards).where(boards.c.name == board).values(spec=spec_bytes.decode("utf-8")))
            connection.execute(insert(hidden_labels).values(**_label_row(new_spec, labels)))
            return self._append(
                connection, "upgrade", board=board, actor=actor.name,
                note=note or f"task version {spec.task_version} -> {new_spec.task_version}: older entries are now stale",
                data={
                    "board_sha256": sha256_hex(spec_bytes), "task_version": new_spec.task_version,
                    "previous_version": spec.task_version, "n_samples": n_test, "release": policy.model_dump(mode="json"),
                },
            )

    def board_names(self) -> list[str]:
        from sqlalchemy import select

        from medbench.leaderboard.committee.db.tables import boards

        with self._reading() as connection:
            return sorted(connection.execute(select(boards.c.name)).scalars())

    def spec(self, board: str) -> "BoardSpec":
        from medbench.leaderboard.board.schema import BoardSpec

        return BoardSpec.model_validate_json(self._board_row(board).spec)

    def protocol(self, board: str) -> "Protocol":
        return self.spec(board).protocol

    def policy(self, board: str) -> "ReleasePolicy":
        """The board's release policy (a board created before policies: the default one for its test set)."""
        from medbench.leaderboard.board.release import default_policy

        spec = self.spec(board)
        return spec.release or default_policy(spec.protocol, len(self.hidden_labels(board).truth))

    def _board_row(self, board: str, connection: Any = None) -> Any:
        from sqlalchemy import select

        from medbench.leaderboard.committee.db.tables import boards

        query = select(boards).where(boards.c.name == board)
        if connection is None:
            with self._reading() as own:
                row = own.execute(query).first()
        else:
            row = connection.execute(query).first()
        if row is None:
            raise NotFound(f"no board {board!r} (an admin creates it with `medbench board create`)")
        return row

    def hidden_labels(self, board: str, task_version: Optional[str] = None) -> "HiddenLabels":
        """Server side only: the test set's ground truth under `task_version` (default: the board's current one)."""
        version = task_version or self.spec(board).task_version
        with self._reading() as connection:
            return self._labels(connection, board, version)

    def _labels(self, connection: Any, board: str, task_version: str) -> "HiddenLabels":
        from sqlalchemy import select

        from medbench.leaderboard.committee.db.tables import hidden_labels
        from medbench.leaderboard.committee.hidden import HiddenLabels, read_parquet

        row = connection.execute(
            select(hidden_labels).where(hidden_labels.c.board == board, hidden_labels.c.task_version == task_version)
        ).first()
        if row is None:
            raise NotFound(f"board {board!r} holds no hidden labels of task version {task_version!r}")
        qrels = read_parquet(row.qrels, "qrels") if row.qrels is not None else None
        return HiddenLabels(read_parquet(row.truth, "labels"), qrels, tuple(json.loads(row.prediction_columns)))

    def entry_labels(self, entry_id: str) -> tuple["HiddenLabels", "Protocol"]:
        """Server side only: the labels and protocol the entry was scored on (a stale entry: its own task version's)."""
        from sqlalchemy import select

        from medbench.leaderboard.committee.db.tables import entries
        from medbench.records.protocol import Protocol

        with self._reading() as connection:
            row = connection.execute(select(entries.c.board, entries.c.content).where(entries.c.id == entry_id)).first()
        if row is None:
            raise NotFound(f"no entry {entry_id!r}")
        protocol = Protocol.model_validate(json.loads(row.content)["protocol"])
        return self.hidden_labels(row.board, protocol.version), protocol

    def _version_fingerprints(self, board: str) -> dict[str, str]:
        """Each task version the board opened → the fingerprint of its data."""
        from sqlalchemy import select

        from medbench.leaderboard.committee.db.tables import hidden_labels

        query = select(hidden_labels.c.task_version, hidden_labels.c.dataset_fingerprint).where(hidden_labels.c.board == board)
        with self._reading() as connection:
            return {row.task_version: row.dataset_fingerprint for row in connection.execute(query)}

    def _version_policies(self, board: str, protocols: dict[str, "Protocol"]) -> dict[str, "ReleasePolicy"]:
        """The release policy each of the board's (older) task versions (`protocols` by version) released its entries under."""
        from sqlalchemy import select

        from medbench.leaderboard.board.release import ReleasePolicy, default_policy
        from medbench.leaderboard.committee.db.tables import hidden_labels

        query = select(hidden_labels.c.task_version, hidden_labels.c.release).where(
            hidden_labels.c.board == board, hidden_labels.c.task_version.in_(sorted(protocols))
        )
        with self._reading() as connection:
            rows = list(connection.execute(query))
        policies = {row.task_version: ReleasePolicy.model_validate_json(row.release) for row in rows if row.release is not None}
        for row in rows:
            if row.release is None:  # a board made before policies: the default one for that version's test set
                labels = self.hidden_labels(board, row.task_version)
                policies[row.task_version] = default_policy(protocols[row.task_version], len(labels.truth))
        return policies

    # --- entries ---------------------------------------------------------------------------------

    def submit(self, board: str, frame: "pd.DataFrame", meta: dict[str, Any], actor: User) -> SubmitOutcome:
        """Score `frame` against the board's hidden labels and add the entry, unless this very
        submission (same board, team, scores and description) is there already, or its scores
        rank the test samples like a rejected entry's (`board.gaming`).

        The outcome holds what the release policy gives the submitter (`board.release`); the full
        numbers stay here."""
        from sqlalchemy import insert

        from medbench.leaderboard.board.gaming import Resubmission, check_not_resubmission
        from medbench.leaderboard.board.schema import BoardSpec
        from medbench.leaderboard.committee.db.tables import entries
        from medbench.leaderboard.committee.hidden import score, scores_sha256, submitted_scores, to_parquet

        meta = checked_description(meta)
        row = self.admit_submission(board, actor, meta)
        spec = BoardSpec.model_validate_json(row.spec)
        protocol = spec.protocol
        labels = self.hidden_labels(board, spec.task_version)
        scores = submitted_scores(frame, labels, protocol.kind)
        digest = scores_sha256(scores)
        key = sha256_hex(compact_bytes({"board": board, "team": actor.team, "scores": digest, "meta": meta}))
        known = self._entry_by_key(board, key)
        if known is not None:
            return known
        try:
            check_not_resubmission(scores, protocol.kind, self._rejected_scores(board))
        except Resubmission:
            self._log_refusal(board, actor, row.daily_quota, digest)
            raise
        metrics = score(scores, labels, protocol)
        submitted_at = stamp()
        try:
            entry = _entry(spec, metrics, meta, digest, actor, submitted_at, key)
        except (TypeError, ValueError) as error:  # pydantic's ValidationError is a ValueError
            raise LeaderboardError(f"the submission's description is invalid: {str(error).splitlines()[0]}") from None
        content = canonical_bytes(json.loads(entry.model_dump_json()))  # undefined subgroup metrics as null
        entry_id = sha256_hex(content)
        with self.engine.begin() as connection:
            self._lock_head(connection)
            known = self._entry_by_key(board, key, connection)
            if known is not None:
                return known
            self._check_quota(board, actor.team, row.daily_quota, connection)
            earlier = self._team_entries(connection, board, actor.team)
            public, own = (
                self._release(spec, {**earlier, entry_id: json.loads(content)}, actor.team, audience)[entry_id]
                for audience in ("public", "submitter")
            )
            connection.execute(
                insert(entries).values(
                    id=entry_id, board=board, submission_key=key, team=actor.team, submitted_by=actor.name,
                    submitted_at=submitted_at, content=content.decode("utf-8"), scores=to_parquet(scores),
                )
            )
            self._append(
                connection, "submit", board=board, entry=entry_id, actor=actor.name,
                data={
                    "team": actor.team, "submission_key": key, "scores_sha256": digest, "run_id": entry.provenance.run_id,
                    "released_sha256": sha256_hex(canonical_bytes(public.content)),
                },
            )
        return SubmitOutcome(board, entry_id, True, own.content, own.held)

    def _release(self, spec: "BoardSpec", contents: dict[str, dict[str, Any]], team: str, audience: str) -> dict[str, Any]:
        """`contents` (`team`'s entries in submission order) as `audience` sees them (`board.release`)."""
        return self._views(spec, contents, dict.fromkeys(contents, team), list(contents), audience)

    def _views(
        self, spec: "BoardSpec", contents: dict[str, dict[str, Any]], teams: dict[str, Optional[str]], order: list[str],
        audience: str = "public",
    ) -> dict[str, Any]:
        """`contents` as `audience` sees them (`board.release.released_entries`), each task version's entries
        under the policy and protocol they were submitted under: a stale entry's released bytes stay the
        ones its submit event holds, and the Ladder replays each version's probes of its own labels apart."""
        from medbench.leaderboard.board.release import released_entries
        from medbench.records.protocol import Protocol

        groups: dict[str, dict[str, dict[str, Any]]] = {}
        for entry_id, content in contents.items():
            groups.setdefault(content["protocol"]["version"], {})[entry_id] = content
        older = {
            version: Protocol.model_validate(next(iter(group.values()))["protocol"])
            for version, group in groups.items() if version != spec.task_version
        }
        policies = self._version_policies(spec.name, older) if older else {}
        views: dict[str, Any] = {}
        for version, group in groups.items():
            if version == spec.task_version:
                views.update(released_entries(spec.release or self.policy(spec.name), spec.protocol, group, teams, order, audience))
            else:
                views.update(released_entries(policies[version], older[version], group, teams, order, audience))
        return {entry_id: views[entry_id] for entry_id in order if entry_id in views}

    def _team_entries(self, connection: Any, board: str, team: str) -> dict[str, dict[str, Any]]:
        """The team's entries on the board, as JSON, in the order the log committed them."""
        from sqlalchemy import select

        from medbench.leaderboard.committee.db.tables import audit_events, entries

        query = (
            select(entries.c.id, entries.c.content)
            .join(audit_events, (audit_events.c.entry == entries.c.id) & (audit_events.c.event == "submit"))
            .where(entries.c.board == board, entries.c.team == team)
            .order_by(audit_events.c.seq)
        )
        return {row.id: json.loads(row.content) for row in connection.execute(query)}

    def _rejected_scores(self, board: str) -> list[tuple[str, Any]]:
        """(id, loader of the stored scores) of every entry the committee rejected on the board (a reject is final)."""
        from sqlalchemy import select

        from medbench.leaderboard.committee.db.tables import audit_events

        query = select(audit_events.c.entry).where(audit_events.c.board == board, audit_events.c.event == "reject")
        with self._reading() as connection:
            rejected = list(connection.execute(query).scalars())
        return [(entry_id, lambda entry_id=entry_id: self.scores(entry_id)) for entry_id in rejected]

    def admit_submission(self, board: str, actor: User, meta: Optional[dict[str, Any]] = None) -> Any:
        """Refuse a submission that may not be made (role, team, board, the day's quota, a run of
        another task version or data, as its `meta` says) before its file is decoded: a spent quota
        costs the server nothing. Returns the board's row."""
        from medbench.leaderboard.board.comparability import version_refusal
        from medbench.leaderboard.board.schema import BoardSpec

        _require(actor, (SUBMITTER, ADMIN), "submit")
        if not actor.team:
            raise Forbidden(f"user {actor.name!r} has no team; an admin gives submitters one (--team)")
        row = self._board_row(board)
        spec = BoardSpec.model_validate_json(row.spec)
        meta = meta or {}
        version = meta.get("task_version")
        refusal = version_refusal(str(version), spec) if version is not None else None
        if refusal is not None:
            raise LeaderboardError(f"board {board!r}: the run's {refusal}")
        fingerprint = meta.get("dataset_fingerprint", spec.dataset_fingerprint)
        if fingerprint != spec.dataset_fingerprint:
            older = [name for name, known in self._version_fingerprints(board).items() if known == fingerprint]
            where = f"the data of task version {older[0]}, which" if older else "other data than"
            raise LeaderboardError(
                f"board {board!r}: the run was made on {where} the board's task version {spec.task_version} "
                f"(fingerprint {str(fingerprint)[:12]}, the board's {spec.dataset_fingerprint[:12]}): rerun on its test set"
            )
        self._check_quota(board, actor.team, row.daily_quota)
        return row

    def _log_refusal(self, board: str, actor: User, quota: int, scores_sha256: str) -> None:
        """A submission refused as a rejected entry's resubmission: logged, and counted in the team's quota,
        so that the refusal (one bit about the rejected entry's ranking) is no free probe."""
        with self.engine.begin() as connection:
            self._lock_head(connection)
            self._check_quota(board, actor.team or "", quota, connection)
            self._append(
                connection, "refuse_submission", board=board, actor=actor.name,
                data={"team": actor.team, "reason": "resubmission of a rejected entry", "scores_sha256": scores_sha256},
            )

    def _check_quota(self, board: str, team: str, quota: int, connection: Any = None) -> None:
        """Refuse when the team's entries and refused submissions of the UTC day reach `quota`."""
        from sqlalchemy import func, select

        from medbench.leaderboard.committee.db.tables import audit_events, entries, users

        today = stamp()[:10]
        submitted = select(func.count()).select_from(entries).where(
            entries.c.board == board, entries.c.team == team, entries.c.submitted_at >= today
        )
        refused = select(func.count()).select_from(audit_events).where(
            audit_events.c.board == board, audit_events.c.event == "refuse_submission", audit_events.c.time >= today,
            audit_events.c.actor.in_(select(users.c.name).where(users.c.team == team)),
        )
        if connection is None:
            with self._reading() as own:
                used = own.execute(submitted).scalar() + own.execute(refused).scalar()
        else:
            used = connection.execute(submitted).scalar() + connection.execute(refused).scalar()
        if used >= quota:
            raise QuotaExceeded(
                f"team {team!r} has used its {quota} submission(s) of {today} (UTC) on board {board!r}; try again tomorrow"
            )

    def _entry_by_key(self, board: str, key: str, connection: Any = None) -> Optional[SubmitOutcome]:
        """The outcome of an earlier submission with this key, released to its submitter as it was then."""
        from sqlalchemy import select

        from medbench.leaderboard.committee.db.tables import entries

        if connection is None:
            with self._reading() as own:
                return self._entry_by_key(board, key, own)
        query = select(entries.c.id, entries.c.team).where(entries.c.board == board, entries.c.submission_key == key)
        row = connection.execute(query).first()
        if row is None:
            return None
        own_view = self._release(self.spec(board), self._team_entries(connection, board, row.team), row.team, "submitter")[row.id]
        return SubmitOutcome(board, row.id, False, own_view.content, own_view.held)

    def aggregates(self, board: str) -> dict[str, dict[str, Any]]:
        """Server side only: every entry of the board by id, as JSON, with every number at full precision."""
        from sqlalchemy import select

        from medbench.leaderboard.committee.db.tables import entries

        self._board_row(board)
        with self._reading() as connection:
            rows = connection.execute(select(entries.c.id, entries.c.content).where(entries.c.board == board))
            return {row.id: json.loads(row.content) for row in rows}

    def entry_count(self, board: str) -> int:
        """How many entries the board holds (rejected ones included), by one count in the database."""
        from sqlalchemy import func, select

        from medbench.leaderboard.committee.db.tables import entries

        with self._reading() as connection:
            return connection.execute(select(func.count()).select_from(entries).where(entries.c.board == board)).scalar()

    def entries(self, board: str) -> dict[str, "Entry"]:
        """Server side only: the committee's view, every number at full precision."""
        from medbench.leaderboard.board.schema import Entry

        return {entry_id: Entry.model_validate(content) for entry_id, content in self.aggregates(board).items()}

    def released(self, board: str) -> dict[str, dict[str, Any]]:
        """Every entry of the board by id, as JSON, with the numbers its release policy makes public."""
        views = self._released(self.spec(board), self.aggregates(board), self.events(board))
        return {entry_id: view.content for entry_id, view in views.items()}

    def withheld(self, board: str) -> set[str]:
        """The entries whose own numbers the Ladder rule holds back (the board shows their team's best)."""
        views = self._released(self.spec(board), self.aggregates(board), self.events(board))
        return {entry_id for entry_id, view in views.items() if view.held}

    def released_entries(self, board: str) -> dict[str, "Entry"]:
        from medbench.leaderboard.board.schema import Entry

        return {entry_id: Entry.model_validate(content) for entry_id, content in self.released(board).items()}

    def _released(self, spec: "BoardSpec", contents: dict[str, dict[str, Any]], events: list[Event]) -> dict[str, Any]:
        submits = [event for event in events if event.event == "submit" and event.board == spec.name]
        teams = {event.entry: event.data.get("team") for event in submits}
        return self._views(spec, contents, teams, [event.entry for event in submits])

    def resolve(self, prefix: str, board: Optional[str] = None) -> tuple[str, str, Optional[str]]:
        """(board, full entry id, team) of the one entry whose id starts with `prefix`."""
        from sqlalchemy import select

        from medbench.leaderboard.committee.db.tables import entries

        if len(prefix) < 4:
            raise LeaderboardError(f"entry {prefix!r}: give at least 4 characters of its id")
        query = select(entries.c.board, entries.c.id, entries.c.team).where(entries.c.id.startswith(prefix))
        if board:
            query = query.where(entries.c.board == board)
        with self._reading() as connection:
            rows = connection.execute(query.limit(2)).all()
        if not rows:
            raise NotFound(f"no entry {prefix!r}" + (f" on board {board!r}" if board else ""))
        if len(rows) > 1:
            raise LeaderboardError(f"entry {prefix!r} is ambiguous: give more characters")
        return rows[0].board, rows[0].id, rows[0].team

    def scores(self, entry_id: str) -> "pd.DataFrame":
        """Server side only: the per-sample scores an entry was computed from (for tiers)."""
        from sqlalchemy import select

        from medbench.leaderboard.committee.db.tables import entries
        from medbench.leaderboard.committee.hidden import read_parquet

        with self._reading() as connection:
            data = connection.execute(select(entries.c.scores).where(entries.c.id == entry_id)).scalar()
        if data is None:
            raise NotFound(f"no entry {entry_id!r}")
        return read_parquet(data, "stored scores")

    # --- review ----------------------------------------------------------------------------------

    def review(self, prefix: str, decision: str, note: str, actor: User, board: Optional[str] = None) -> Event:
        """Approve (a reproduced entry) or reject, as a reviewer of another team."""
        if decision not in DECISIONS:
            raise LeaderboardError(f"decision {decision!r}: {' or '.join(DECISIONS)}")
        board, entry_id, team = self.resolve(prefix, board)
        return self._transition(board, entry_id, team, decision, note, actor, {})

    def record_reproduction(
        self, prefix: str, frame: "pd.DataFrame", actor: User, *, tolerance: Optional[float] = None, board: Optional[str] = None
    ) -> Event:
        """Score a rerun's predictions like a submission and say whether they give the entry's numbers
        (`evaluation.agreement`): match or no match, nothing finer, so a reproduction is no oracle
        for the hidden labels. Each reviewer records `reproductions_per_day` per board and UTC day,
        within the board's tolerance or a tighter one."""
        from medbench.evaluation.agreement import disagreeing
        from medbench.leaderboard.board.release import check_tolerance
        from medbench.leaderboard.committee.hidden import score, scores_sha256, submitted_scores
        from medbench.records.record import MetricValue

        board, entry_id, team = self.admit_reproduction(prefix, actor, board)
        policy = self.policy(board)
        tolerance = policy.tolerance if tolerance is None else tolerance
        check_tolerance(tolerance, policy.tolerance, f"tolerance (board {board!r} allows at most {policy.tolerance:g})")
        labels, protocol = self.entry_labels(entry_id)  # a stale entry is reproduced against its own version's labels
        scores = submitted_scores(frame, labels, protocol.kind)
        reproduced = score(scores, labels, protocol).values
        claimed = {name: MetricValue.model_validate(value) for name, value in self.aggregates(board)[entry_id]["metrics"].items()}
        matches = not disagreeing(claimed, reproduced, tolerance)
        event = "reproduce" if matches else "reproduction_failed"
        note = f"every metric within {tolerance:g}" if matches else f"no match within {tolerance:g}"
        data = {"scores_sha256": scores_sha256(scores), "matches": matches, "tolerance": tolerance}
        return self._transition(
            board, entry_id, team, event, note, actor, data,
            quota=lambda connection: self._check_reproductions(board, actor, policy.reproductions_per_day, connection),
        )

    def _check_reproductions(self, board: str, actor: User, per_day: int, connection: Any = None) -> None:
        from sqlalchemy import func, select

        from medbench.leaderboard.committee.db.tables import audit_events

        today = stamp()[:10]
        query = select(func.count()).select_from(audit_events).where(
            audit_events.c.board == board, audit_events.c.actor == actor.name,
            audit_events.c.event.in_(("reproduce", "reproduction_failed")), audit_events.c.time >= today,
        )
        if connection is None:
            with self._reading() as own:
                used = own.execute(query).scalar()
        else:
            used = connection.execute(query).scalar()
        if used >= per_day:
            raise QuotaExceeded(
                f"{actor.name!r} has recorded {per_day} reproduction(s) on board {board!r} on {today} (UTC); try again tomorrow"
            )

    def admit_reproduction(self, prefix: str, actor: User, board: Optional[str] = None) -> tuple[str, str, Optional[str]]:
        """(board, entry id, team) of the entry `actor` may record a reproduction of; refused before
        the rerun's file is decoded: a reviewer who may not act, or who used the day's reproductions
        (`release.ReleasePolicy.reproductions_per_day`), costs the server nothing."""
        board, entry_id, team = self.resolve(prefix, board)
        _require(actor, (REVIEWER, ADMIN), "record reproductions")
        check_reviewer(entry_id, actor=actor.name, actor_team=actor.team, entry_team=team)
        self._check_reproductions(board, actor, self.policy(board).reproductions_per_day)
        return board, entry_id, team

    def _transition(
        self, board: str, entry_id: str, team: Optional[str], event: str, note: str, actor: User, data: dict[str, Any],
        quota: Optional[Callable[[Any], None]] = None,
    ) -> Event:
        """One step of the board's lifecycle (`board.lifecycle`), by a reviewer of another team; `quota`
        checks again under the log's lock, on the transaction's connection (concurrent requests count too)."""
        _require(actor, (REVIEWER, ADMIN), event)
        check_step(event, actor=actor.name, note=note)
        check_reviewer(entry_id, actor=actor.name, actor_team=actor.team, entry_team=team)
        with self.engine.begin() as connection:
            self._lock_head(connection)
            if quota is not None:
                quota(connection)
            state = review_states(self._events(connection, entry=entry_id)).get(entry_id)
            next_state(state, event, entry_id, lambda state: _unblocking(state, entry_id[:12], board))
            return self._append(connection, event, board=board, entry=entry_id, actor=actor.name, note=note, data=data)

    def set_baseline(self, board: str, prefix: str, note: str, actor: User) -> Event:
        """The committee names the entry others are compared with (a current entry it has not rejected, of another team)."""
        from sqlalchemy import update

        from medbench.leaderboard.board.schema import Entry
        from medbench.leaderboard.committee.db.tables import boards

        _require(actor, (REVIEWER, ADMIN), "choose a baseline")
        if not note.strip():
            raise LeaderboardError("baseline: give the committee's reason (--note)")
        _, entry_id, team = self.resolve(prefix, board)
        entry = Entry.model_validate(self.aggregates(board)[entry_id])
        with self.engine.begin() as connection:
            self._lock_head(connection)
            spec = self.spec(board)
            state = review_states(self._events(connection, entry=entry_id)).get(entry_id)
            check_baseline(spec, entry_id, entry, state, chooser=actor.name, chooser_team=actor.team, entry_team=team)
            spec = spec.model_copy(update={"baseline": entry_id})
            spec_bytes = canonical_bytes(spec.model_dump(mode="json"))
            connection.execute(update(boards).where(boards.c.name == board).values(spec=spec_bytes.decode("utf-8")))
            return self._append(
                connection, "baseline", board=board, entry=entry_id, actor=actor.name, note=note,
                data={"board_sha256": sha256_hex(spec_bytes)},
            )

    # --- the log ---------------------------------------------------------------------------------

    def events(self, board: Optional[str] = None) -> list[Event]:
        with self._reading() as connection:
            return self._events(connection, board=board)

    def _events(
        self, connection: Any, *, board: Optional[str] = None, entry: Optional[str] = None, event: Optional[str] = None
    ) -> list[Event]:
        from sqlalchemy import select

        from medbench.leaderboard.committee.db.tables import audit_events

        query = select(audit_events).order_by(audit_events.c.seq)
        if board is not None:
            query = query.where(audit_events.c.board == board)
        if entry is not None:
            query = query.where(audit_events.c.entry == entry)
        if event is not None:
            query = query.where(audit_events.c.event == event)
        return [_event(row) for row in connection.execute(query)]

    def head(self) -> dict[str, Any]:
        """The signed head of the log: how many events, the last one's hash."""
        from sqlalchemy import select

        from medbench.leaderboard.committee.db.tables import log_head

        with self._reading() as connection:
            row = connection.execute(select(log_head.c.seq, log_head.c.hash)).first()
        return self.signed_head(row.seq + 1, row.hash)

    def event_count(self) -> int:
        from sqlalchemy import select

        from medbench.leaderboard.committee.db.tables import log_head

        with self._reading() as connection:
            return connection.execute(select(log_head.c.seq)).scalar() + 1

    def public_snapshot(self) -> tuple[list[Event], dict[str, tuple["BoardSpec", dict[str, bytes]]]]:
        """The log, and every board's spec and released entry bytes (`board.release`: the bytes whose
        hash each submit event holds), read in one consistent view (for the export)."""
        from sqlalchemy import select

        from medbench.leaderboard.committee.db.tables import boards, entries
        from medbench.leaderboard.board.schema import BoardSpec

        with self._reading() as connection:
            if self.engine.dialect.name == "postgresql":
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            events = self._events(connection)
            specs = {row.name: BoardSpec.model_validate_json(row.spec) for row in connection.execute(select(boards.c.name, boards.c.spec))}
            contents: dict[str, dict[str, Any]] = {name: {} for name in specs}
            for row in connection.execute(select(entries.c.board, entries.c.id, entries.c.content)):
                contents[row.board][row.id] = json.loads(row.content)
        released = {
            name: {entry_id: canonical_bytes(view.content) for entry_id, view in self._released(specs[name], contents[name], events).items()}
            for name in specs
        }
        return events, {name: (specs[name], released[name]) for name in sorted(specs)}

    def signed_head(self, count: int, last_hash: str, site_sha256: Optional[str] = None) -> dict[str, Any]:
        """The head of a log of `count` events ending in `last_hash`, signed by the log's current key; an export's
        also names its site's digest."""
        from medbench.leaderboard.board.signing import fingerprint, sign

        with self._reading() as connection:
            self._current_signer(connection)
        key = fingerprint(self.public_key)
        head: dict[str, Any] = {"count": count, "hash": last_hash, "public_key": key}
        if site_sha256 is not None:
            head["site_sha256"] = site_sha256
        return {**head, "signature": sign(self._key, head_message(count, last_hash, key, site_sha256))}

    def _lock_head(self, connection: Any) -> Any:
        """Lock the log's head row: one writer at a time appends, so the chain has one order."""
        from sqlalchemy import select

        from medbench.leaderboard.committee.db.tables import log_head

        return connection.execute(select(log_head.c.seq, log_head.c.hash).where(log_head.c.id == 1).with_for_update()).first()

    def _append(
        self, connection: Any, event: str, *, actor: str, board: Optional[str] = None, entry: Optional[str] = None,
        note: str = "", data: Optional[dict[str, Any]] = None,
    ) -> Event:
        """Append one signed event in the caller's transaction (which holds the head's lock)."""
        from sqlalchemy import insert, update

        from medbench.leaderboard.committee.db.tables import audit_events, log_head
        from medbench.leaderboard.board.signing import sign

        head = self._lock_head(connection)
        signer = self._current_signer(connection)
        fields: dict[str, Any] = {
            "seq": head.seq + 1, "time": stamp(), "board": board, "event": event, "entry": entry, "actor": actor,
            "note": note, "data": data or {}, "prev": head.hash,
        }
        fields["hash"] = event_hash(fields)
        fields["signature"] = sign(signer, fields["hash"].encode("ascii"))
        connection.execute(insert(audit_events).values(**{**fields, "data": compact_bytes(fields["data"]).decode("utf-8")}))
        connection.execute(update(log_head).where(log_head.c.id == 1).values(seq=fields["seq"], hash=fields["hash"]))
        return Event(**fields)


def _event(row: Any) -> Event:
    return Event(
        seq=row.seq, time=row.time, board=row.board, event=row.event, entry=row.entry, actor=row.actor, note=row.note,
        data=json.loads(row.data), prev=row.prev, hash=row.hash, signature=row.signature,
    )


def _require(actor: Optional[User], roles: str | tuple[str, ...], action: str) -> None:
    roles = (roles,) if isinstance(roles, str) else roles
    if actor is None:
        raise Unauthenticated(f"to {action}, authenticate: set MEDBENCH_TOKEN")
    if actor.role not in roles:
        raise Forbidden(f"user {actor.name!r} has the role {actor.role}; only {' or '.join(roles)} may {action}")


def _unblocking(state: str, entry: str, board: str) -> str:
    """What to run so that a refused step becomes possible (or why nothing will), on the committee's store."""
    if state == SUBMITTED:  # only approve is refused from here
        return f"approval needs a reproduction first: `medbench reproduce {entry} --board {board} --server URL --run RERUN_DIR`"
    if state == REPRODUCED:  # only a second reproduction is refused from here
        return f"it is already reproduced; decide with `medbench review approve|reject {entry} --note TEXT --server URL`"
    return "the committee's decision is final; a corrected run joins as a new entry with `medbench submit RUN_DIR --server URL`"


def _entry(
    spec: "BoardSpec", metrics: Any, meta: dict[str, Any], digest: str, actor: User, submitted_at: str, key: str
) -> "Entry":
    """The entry of a scored submission: the server's numbers, the submitter's description of the model."""
    from medbench.leaderboard.board.entries import check_finite, provenance_of
    from medbench.leaderboard.board.schema import Entry

    check_finite(metrics, "")
    return Entry(
        salt=secrets.token_hex(16),
        board=spec.name,
        protocol=spec.protocol,
        dataset_fingerprint=spec.dataset_fingerprint,
        n_samples=metrics.n_samples,
        metrics=metrics.values,
        subgroups=metrics.subgroups,
        provenance=provenance_of(
            meta,
            dataset_source=f"hidden test labels of board {spec.name}",
            split_sizes={"test": metrics.n_samples},
            predictions_sha256=digest,
            qrels_sha256=None,
            submitter=f"{actor.name} ({actor.team})",
            submitted_at=submitted_at,
            run_id=key[:16],
        ),
    )


def _label_row(spec: "BoardSpec", labels: "HiddenLabels") -> dict[str, Any]:
    """The `hidden_labels` row of the board's current task version (`spec`'s) with its labels and release policy."""
    from medbench.leaderboard.committee.hidden import to_parquet

    return {
        "board": spec.name, "task_version": spec.task_version, "dataset_fingerprint": spec.dataset_fingerprint,
        "truth": to_parquet(labels.truth), "qrels": to_parquet(labels.qrels) if labels.qrels is not None else None,
        "prediction_columns": json.dumps(list(labels.required_columns)),
        "release": compact_bytes(spec.release.model_dump(mode="json")).decode("utf-8") if spec.release is not None else None,
    }
