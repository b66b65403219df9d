"""The committee end to end through the command line and a real `medbench serve` on 127.0.0.1:
an admin creates users and a board; a partner submits; forged metrics do not count; reviewers act
under their own names; the public export verifies."""
# Each test starts a server and a few command lines (~2 s each on a busy machine).

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest

from medbench.leaderboard.board.release import finest_resolution, rounded

from medbench.testing import synthetic
from medbench.records.record import METRICS_FILE, read_record


def token_of(result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def committee(postgres, tmp_path_factory):
    """One PostgreSQL database, its users and board (made through the store API), and one
    `medbench serve` process, shared by this module's tests (each submits its own runs)."""
    from medbench.leaderboard.committee.board_admin import create_board_from_record
    from medbench.leaderboard.committee.store import CommitteeStore
    from tests.service.conftest import LiveServer

    folder = tmp_path_factory.mktemp("committee")
    db_url, key = postgres.create_database(), folder / "server.ed25519"
    store = CommitteeStore(db_url, key)
    admin, root = store.create_user("root", "admin", None, None)
    tokens = {"root": root}
    for name, role, team in [("alice", "submitter", "A"), ("bob", "reviewer", "B"), ("dave", "reviewer", "A")]:
        tokens[name] = store.create_user(name, role, team, admin)[1]
    create_board_from_record(store, synthetic.write_record(folder / "runs", seed=0), "synthetic", daily_quota=10, actor=admin)
    store.close()
    server = LiveServer(db_url, key, folder / "serve.log").start()
    yield tokens, server.url, ("--db", db_url, "--key", str(key))
    server.stop()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_an_admin_creates_users_and_a_board_from_the_command_line(medbench_cli, db_url, key_path, runs) -> None:
    db = ("--db", db_url, "--key", str(key_path))
    root = token_of(medbench_cli("admin", "create-user", "root", "--role", "admin", *db))
    anonymous = medbench_cli("admin", "create-user", "alice", "--role", "submitter", "--team", "A", *db)
    assert anonymous.returncode == 2 and "MEDBENCH_TOKEN" in anonymous.stderr
    alice = token_of(medbench_cli("admin", "create-user", "alice", "--role", "submitter", "--team", "A", *db, token=root))
    assert alice.startswith("mb_") and alice != root
    hospital_run = str(synthetic.write_record(runs, seed=0))
    refused = medbench_cli("board", "create", "synthetic", "--from-record", hospital_run, *db, token=alice)
    assert refused.returncode == 2 and "only admin may create boards" in refused.stderr
    created = medbench_cli("board", "create", "synthetic", "--from-record", hospital_run, "--daily-quota", "3", *db, token=root)
    assert created.returncode == 0 and "200 hidden test samples" in created.stdout, created.stderr


def test_a_forged_metric_is_ranked_by_the_servers_own_number(committee, medbench_cli, runs: Path) -> None:
    tokens, url, _ = committee
    run_dir = synthetic.write_record(runs, seed=2, skill=0.4)
    # What the board releases of the honest number: rounded to one sample's worth of its 200 (`board.release`).
    honest = rounded(read_record(run_dir).metrics().values["auroc"].value, finest_resolution(200))
    metrics = json.loads((run_dir / METRICS_FILE).read_text())
    metrics["values"]["auroc"]["value"] = 0.9999
    (run_dir / METRICS_FILE).write_text(json.dumps(metrics))
    submitted = medbench_cli("submit", str(run_dir), "--server", url, token=tokens["alice"])
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    assert f"auroc {honest:.4f} (scored by the committee)" in submitted.stdout
    board = httpx.get(f"{url}/boards/synthetic").json()
    entry = submitted.stdout.split(" as entry ")[1][:12]
    assert [row["entry"]["metrics"]["auroc"]["value"] for row in board["entries"] if row["entry_id"].startswith(entry)] == [honest]
    shown = medbench_cli("leaderboard", "show", "synthetic", "--server", url)
    assert shown.returncode == 0 and f"{honest:.4f}" in shown.stdout and "0.9999" not in shown.stdout


def test_a_partner_predictions_file_is_scored_and_a_retry_adds_nothing(committee, medbench_cli, runs, tmp_path) -> None:
    tokens, url, _ = committee
    frame = read_record(synthetic.write_record(runs, seed=3)).predictions()
    path = tmp_path / "partner.csv"
    frame.assign(target=0).to_csv(path, index=False)  # wrong targets: ignored
    args = ("submit", "--predictions", str(path), "--board", "synthetic", "--model", "PartnerNet", "--server", url)
    first, second = medbench_cli(*args, token=tokens["alice"]), medbench_cli(*args, token=tokens["alice"])
    assert first.returncode == 0 and "submitted" in first.stdout, first.stdout + first.stderr
    assert second.returncode == 0 and "already on board" in second.stdout
    models = [row["entry"]["provenance"]["model_target"] for row in httpx.get(f"{url}/boards/synthetic").json()["entries"]]
    assert models.count("PartnerNet") == 1


def test_tokens_and_roles_are_enforced_over_http(committee, medbench_cli, runs) -> None:
    tokens, url, _ = committee
    run_dir = synthetic.write_record(runs, seed=4)
    anonymous = medbench_cli("submit", str(run_dir), "--server", url)
    assert anonymous.returncode == 2 and "MEDBENCH_TOKEN" in anonymous.stdout and "HTTP 401" in anonymous.stdout
    submitted = medbench_cli("submit", str(run_dir), "--server", url, token=tokens["alice"])
    entry = submitted.stdout.split(" as entry ")[1][:12]
    named = medbench_cli("review", "reject", entry, "--note", "x", "--reviewer", "bob", "--server", url, token=tokens["dave"])
    assert named.returncode == 2 and "token" in named.stderr
    own = medbench_cli("review", "reject", entry, "--note", "x", "--server", url, token=tokens["dave"])
    assert own.returncode == 2 and "own team" in own.stderr
    early = medbench_cli("review", "approve", entry, "--note", "x", "--server", url, token=tokens["bob"])
    assert early.returncode == 2 and "reproduction first" in early.stderr
    reproduced = medbench_cli("reproduce", entry, "--run", str(run_dir), "--server", url, token=tokens["bob"])
    assert reproduced.returncode == 0 and reproduced.stdout.startswith("reproduce:"), reproduced.stdout + reproduced.stderr
    approved = medbench_cli("review", "approve", entry, "--note", "reproduced", "--server", url, token=tokens["bob"])
    assert approved.returncode == 0 and "as bob" in approved.stdout, approved.stderr
    events = httpx.get(f"{url}/entries/{entry}").json()["events"]
    assert [(event["event"], event["actor"]) for event in events] == [("submit", "alice"), ("reproduce", "bob"), ("approve", "bob")]
    assert httpx.post(f"{url}/entries/{entry}/review", json={"decision": "reject", "note": "x"}).status_code == 401


def test_the_export_verifies_offline_and_catches_a_cut_log(committee, medbench_cli, runs, tmp_path) -> None:
    tokens, url, db = committee
    assert medbench_cli("submit", str(synthetic.write_record(runs, seed=5)), "--server", url, token=tokens["alice"]).returncode == 0
    out = tmp_path / "public"
    exported = medbench_cli("leaderboard", "export", "-o", str(out), *db)
    assert exported.returncode == 0, exported.stderr
    key = tmp_path / "published.pem"
    key.write_text(httpx.get(f"{url}/public-key").text)
    verified = medbench_cli("leaderboard", "verify", str(out), "--public-key", str(key))
    assert verified.returncode == 0 and " signed events, 1 board(s)" in verified.stdout, verified.stdout + verified.stderr
    kept = tmp_path / "head.json"
    kept.write_bytes((out / "head.json").read_bytes())
    log = (out / "log.jsonl").read_bytes().splitlines(keepends=True)
    (out / "log.jsonl").write_bytes(b"".join(log[:-1]))
    cut = medbench_cli("leaderboard", "verify", str(out), "--head", str(kept))
    assert cut.returncode == 1 and "cut from its end" in cut.stdout


def test_http_status_codes_say_what_went_wrong(committee, runs) -> None:
    from medbench.leaderboard.committee.hidden import public_columns, to_parquet

    tokens, url, _ = committee
    body = {"meta": {}, "predictions": base64.b64encode(to_parquet(public_columns(read_record(synthetic.write_record(runs, seed=9)).predictions()))).decode()}
    alice = {"Authorization": f"Bearer {tokens['alice']}"}
    assert httpx.get(f"{url}/boards/nowhere").status_code == 404
    assert httpx.post(f"{url}/boards/synthetic/submissions", json=body, headers={"Authorization": "Bearer mb_forged"}).status_code == 401
    assert httpx.post(f"{url}/boards/nowhere/submissions", json=body, headers=alice).status_code == 404
    refused = httpx.post(f"{url}/boards/synthetic/submissions", json={**body, "predictions": "not base64!"}, headers=alice)
    assert refused.status_code == 422 and "base64" in refused.json()["detail"]
    first = httpx.post(f"{url}/boards/synthetic/submissions", json=body, headers=alice, timeout=60)
    again = httpx.post(f"{url}/boards/synthetic/submissions", json=body, headers=alice, timeout=60)
    assert (first.status_code, again.status_code) == (201, 200) and first.json()["entry_id"] == again.json()["entry_id"]
    assert all("sample_id" not in json.dumps(row) for row in httpx.get(f"{url}/log").json())


def test_the_baseline_is_chosen_over_http_as_the_tokens_reviewer(committee, medbench_cli, runs) -> None:
    tokens, url, _ = committee
    submitted = medbench_cli("submit", str(synthetic.write_record(runs, seed=6)), "--server", url, token=tokens["alice"])
    entry = submitted.stdout.split(" as entry ")[1][:12]
    chosen = medbench_cli("leaderboard", "baseline", "synthetic", entry, "--note", "reference", "--server", url, token=tokens["bob"])
    assert chosen.returncode == 0 and "chosen by bob" in chosen.stdout, chosen.stdout + chosen.stderr
    board = httpx.get(f"{url}/boards/synthetic").json()
    assert board["board"]["baseline"].startswith(entry)
