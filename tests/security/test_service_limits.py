"""Limits before work in `medbench serve` (issue 19, item 4): each attack refused before the server
spends memory or CPU on it, and nothing parsed or stored. Memory and time are measured by
`benchmarks/bench_service_limits.py`; these tests assert the refusals and what was not done."""

from __future__ import annotations

import asyncio
import base64
import io
import os
import stat
from pathlib import Path

import pytest

from medbench.errors import LeaderboardError
from medbench.leaderboard.committee.hidden import public_columns, to_parquet
from medbench.leaderboard.committee.limits import GuardedBodies
from medbench.leaderboard.committee.store import CommitteeStore
from medbench.records.record import read_record
from medbench.testing import synthetic
from tests.security.conftest import BOARD


def _scores(tmp_path: Path, seed: int):
    return public_columns(read_record(synthetic.write_record(tmp_path / "partner", seed=seed)).predictions())


def _body(frame, **meta) -> dict:
    return {"meta": meta, "predictions": base64.b64encode(to_parquet(frame)).decode()}


def _bomb(n_rows: int) -> bytes:
    """A few kilobytes of parquet that decode to `n_rows` rows of the board's columns."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"sample_id": pa.repeat("s-0", n_rows), "score": pa.repeat(0.5, n_rows)})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def _asgi_post(app, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> tuple[int, int]:
    """POST `chunks` straight to an ASGI app; (status, how many chunks the app asked for)."""
    asked, answer = [0], {}

    async def receive():
        asked[0] += 1
        index = asked[0] - 1
        return {"type": "http.request", "body": chunks[index], "more_body": index < len(chunks) - 1}

    async def send(message):
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]

    scope = {"type": "http", "method": "POST", "path": f"/boards/{BOARD}/submissions", "headers": headers, "query_string": b""}
    asyncio.run(app(scope, receive, send))
    return answer["status"], asked[0]


def test_an_unauthenticated_body_is_refused_before_a_byte_is_read(store: CommitteeStore, alice) -> None:
    """The 71 MB attack: the 401 comes from the headers; the app never asks for the body."""
    reached = []

    async def app(scope, receive, send):
        reached.append(scope)

    guarded = GuardedBodies(app, authenticate=store.authenticate)
    for headers in ([], [(b"authorization", b"Bearer mb_forged")]):
        status, asked = _asgi_post(guarded, [*headers, (b"content-length", b"71000000")], [b"{" * 1024] * 4)
        assert (status, asked) == (401, 0)
    assert reached == []


def test_a_body_over_the_cap_is_refused_when_declared_and_when_streamed(store: CommitteeStore, alice) -> None:
    _, token = alice
    reached = []

    async def app(scope, receive, send):
        reached.append(scope)

    guarded = GuardedBodies(app, authenticate=store.authenticate, max_bytes=4096)
    auth = (b"authorization", f"Bearer {token}".encode())
    assert _asgi_post(guarded, [auth, (b"content-length", b"5000")], [b"x" * 1024] * 5) == (413, 0)
    # Chunked (no length), or a length that lies: read up to the chunk that crosses the cap, no further.
    assert _asgi_post(guarded, [auth], [b"x" * 1024] * 100) == (413, 5)
    assert _asgi_post(guarded, [auth, (b"content-length", b"10")], [b"x" * 1024] * 100) == (413, 5)
    assert reached == []


def test_a_big_body_over_http_is_one_line_413_and_nothing_stored(client, store: CommitteeStore, alice) -> None:
    from medbench.leaderboard.committee.limits import MAX_BODY_BYTES

    _, token = alice
    before = store.event_count()
    big = b'{"meta": {}, "predictions": "' + b"A" * MAX_BODY_BYTES + b'"}'
    answer = client.post(f"/boards/{BOARD}/submissions", content=big, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 413 and "MiB" in answer.json()["detail"] and "\n" not in answer.json()["detail"]
    assert store.event_count() == before and store.aggregates(BOARD) == {}


def test_a_parquet_bomb_from_a_team_with_a_spent_quota_is_refused_before_decoding(
    client, store: CommitteeStore, alice, tmp_path: Path, monkeypatch
) -> None:
    import pyarrow.parquet as pq

    _, token = alice
    headers = {"Authorization": f"Bearer {token}"}
    for seed in (1, 2):  # the day's quota of 2
        assert client.post(f"/boards/{BOARD}/submissions", json=_body(_scores(tmp_path, seed), name=f"run {seed}"), headers=headers).status_code == 201
    opened = []
    monkeypatch.setattr(pq, "ParquetFile", lambda *args, **kwargs: opened.append(args) or pytest.fail("the bomb was opened"))
    bomb = {"meta": {}, "predictions": base64.b64encode(_bomb(2_000_000)).decode()}
    answer = client.post(f"/boards/{BOARD}/submissions", json=bomb, headers=headers)
    assert answer.status_code == 429 and "has used its 2 submission(s)" in answer.json()["detail"]
    assert opened == [] and len(store.aggregates(BOARD)) == 2


def test_a_parquet_bomb_is_refused_from_its_footer_naming_counts(client, store: CommitteeStore, alice, monkeypatch) -> None:
    import pyarrow.parquet as pq

    _, token = alice
    read = []
    monkeypatch.setattr(pq.ParquetFile, "read", lambda *args, **kwargs: read.append(args) or pytest.fail("the bomb was decoded"))
    bomb = {"meta": {}, "predictions": base64.b64encode(_bomb(2_000_000)).decode()}
    answer = client.post(f"/boards/{BOARD}/submissions", json=bomb, headers={"Authorization": f"Bearer {token}"})
    detail = answer.json()["detail"]
    n_test = len(store.hidden_labels(BOARD).truth)
    assert answer.status_code == 422 and "2000000 rows" in detail and f"{n_test} samples" in detail
    assert read == [] and store.aggregates(BOARD) == {}


def test_a_file_with_too_many_columns_or_without_the_boards_is_refused_before_decoding(store: CommitteeStore, alice, tmp_path: Path) -> None:
    from medbench.leaderboard.committee.hidden import read_submission

    labels, frame = store.hidden_labels(BOARD), _scores(tmp_path, 1)
    wide = frame.assign(**{f"extra_{i}": 0.0 for i in range(80)})
    with pytest.raises(LeaderboardError, match=f"{len(wide.columns)} columns"):
        read_submission(to_parquet(wide), labels, "binary")
    with pytest.raises(LeaderboardError, match=r"lack column\(s\) \['score'\]"):
        read_submission(to_parquet(frame.drop(columns="score")), labels, "binary")
    assert list(read_submission(to_parquet(wide.iloc[:, :6]), labels, "binary").columns) == ["sample_id", "score"]


def test_a_meta_name_too_long_is_refused_and_nothing_stored(client, store: CommitteeStore, alice, tmp_path: Path) -> None:
    _, token = alice
    before = store.event_count()
    answer = client.post(
        f"/boards/{BOARD}/submissions", json=_body(_scores(tmp_path, 1), name="n" * 1_000_000), headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 422 and answer.json() == {"detail": "body.meta.name: String should have at most 256 characters"}
    assert store.event_count() == before and store.aggregates(BOARD) == {}
    with pytest.raises(LeaderboardError, match="tags: List should have at most"):  # the local --db path checks the same model
        store.submit(BOARD, _scores(tmp_path, 1), {"tags": ["t"] * 10_000}, alice[0])
    with pytest.raises(LeaderboardError, match="at most 262144"):  # each value within its cap, the whole too large
        store.submit(BOARD, _scores(tmp_path, 1), {"settings": {f"k{i}": "v" * 10_000 for i in range(40)}}, alice[0])
    assert store.aggregates(BOARD) == {}


def test_the_database_and_the_signing_key_are_created_0600(tmp_path: Path) -> None:
    database, key = tmp_path / "fresh" / "committee.db", tmp_path / "fresh" / "server.ed25519"
    old_umask = os.umask(0o022)
    try:
        CommitteeStore(f"sqlite:///{database}", key).close()
    finally:
        os.umask(old_umask)
    for path in (database, key):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_a_wrong_or_unreadable_key_file_is_refused_and_never_replaced(tmp_path: Path) -> None:
    key = tmp_path / "server.ed25519"
    key.write_text("not a key\n")
    with pytest.raises(LeaderboardError, match="not an unencrypted Ed25519 private key"):
        CommitteeStore(f"sqlite:///{tmp_path / 'committee.db'}", key)
    assert key.read_text() == "not a key\n" and not (tmp_path / "committee.db").exists()
    broken = tmp_path / "dangling.ed25519"
    broken.symlink_to(tmp_path / "nowhere")
    with pytest.raises(LeaderboardError, match="cannot be read"):
        CommitteeStore(f"sqlite:///{tmp_path / 'committee.db'}", broken)
    assert broken.is_symlink() and not (tmp_path / "nowhere").exists()


def test_a_bomb_sent_as_a_reproduction_by_someone_who_may_not_reproduce_is_refused_before_decoding(
    client, store: CommitteeStore, alice, tmp_path: Path, monkeypatch
) -> None:
    import pyarrow.parquet as pq

    user, token = alice
    entry = store.submit(BOARD, _scores(tmp_path, 1), {"name": "honest"}, user).entry_id
    monkeypatch.setattr(pq, "ParquetFile", lambda *args, **kwargs: pytest.fail("the bomb was opened"))
    bomb = {"predictions": base64.b64encode(_bomb(2_000_000)).decode()}
    answer = client.post(f"/entries/{entry[:12]}/reproductions", json=bomb, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403 and "only reviewer or admin may record reproductions" in answer.json()["detail"]
    assert [event.event for event in store.events(BOARD)] == ["create", "submit"]
