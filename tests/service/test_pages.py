"""`medbench serve` answers the board pages: the static site's page at / and /boards/<b> for a
browser, JSON for API clients, tiers computed by the server, ETag revalidation and gzip."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from medbench.testing import synthetic
from medbench.leaderboard.committee.app import create_app

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture
def client(store, people, board):
    frames = []
    ids, targets = synthetic.samples(200, 0)
    for seed, skill in ((1, 0.9), (2, 0.9), (3, 0.5)):
        frames.append(pd.DataFrame({"sample_id": ids, "score": synthetic.scores(targets, skill, seed)}))
    for frame in frames[:2]:
        store.submit(board, frame, {"seed": 1, "model_target": "mlp"}, people.alice)
    store.submit(board, frames[2], {"seed": 3, "model_target": "logreg"}, people.carol)
    with TestClient(create_app(store)) as test_client:
        yield test_client


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_browser_gets_the_page_and_an_api_client_the_json(client, board) -> None:
    http = client
    index = http.get("/", headers=BROWSER)
    assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
    assert f'href="/boards/{board}"' in index.text
    page = http.get(f"/boards/{board}", headers=BROWSER)
    assert page.headers["content-type"].startswith("text/html") and 'id="board-data"' in page.text
    assert 'href="/"' in page.text and f'href="/api/boards/{board}/{board}.csv"' in page.text
    data = http.get(f"/boards/{board}").json()  # no Accept: text/html, as the HTTP client sends
    assert data == http.get(f"/api/boards/{board}").json()
    assert "paired tests" in data["tiers"] and all(row["tier"] is not None for row in data["entries"])
    assert {row["team"] for row in data["entries"]} == {"A", "B"}
    assert data["curves"] and all(sum(b[4] for b in c["calibration"]) <= 200 for c in data["curves"].values())
    assert "sample_id" not in json.dumps(data["curves"])
    csv = http.get(f"/api/boards/{board}/{board}.csv")
    assert csv.headers["content-type"].startswith("text/csv") and csv.text.startswith("entry_id,")
    assert http.get(f"/api/boards/{board}/secrets.txt").status_code == 404
    assert http.get("/boards/nowhere", headers=BROWSER).status_code == 404


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_etag_revalidation_gzip_and_a_new_version_after_a_submission(client, store, people, board) -> None:
    http = client
    first = http.get(f"/boards/{board}", headers={**BROWSER, "Accept-Encoding": "gzip"})
    assert first.headers["content-encoding"] == "gzip" and "Accept-Encoding" in first.headers["vary"]
    etag = first.headers["etag"]
    again = http.get(f"/boards/{board}", headers={**BROWSER, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    plain = http.get(f"/boards/{board}", headers={**BROWSER, "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.headers["etag"] == etag
    assert plain.content == first.content  # the client decoded the gzip-encoded body to the same page
    assert http.get(f"/api/boards/{board}", headers={"If-None-Match": etag}).status_code == 200  # JSON has its own ETag
    ids, targets = synthetic.samples(200, 0)
    store.submit(board, pd.DataFrame({"sample_id": ids, "score": synthetic.scores(targets, 0.7, 9)}), {"seed": 9}, people.alice)
    changed = http.get(f"/boards/{board}", headers={**BROWSER, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert len(json.loads(http.get(f"/api/boards/{board}").text)["entries"]) == 4
