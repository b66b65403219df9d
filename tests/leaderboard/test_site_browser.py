"""The static site in a real headless browser (Debian's chromium, driven by selenium, from file://).

The board a committee would meet: an MLP over three seeds and logistic regression over two, one
MLP variant the committee rejected, an approved entry, a chosen baseline, stale entries of an
older task version, two BM25 runs that differ only by their language, and a submitter whose name
tries to break out of the page. Set MEDBENCH_SCREENSHOTS=DIR to keep the screenshots.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from medbench.leaderboard.folder.review import choose_baseline, open_version, record_reproduction, transition
from medbench.leaderboard.folder.ranking import build_site
from medbench.leaderboard.folder.store import Board
from medbench.leaderboard.folder.tiers import board_tiers

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER),
        reason="chromium and chromedriver are not installed (.ci/install-browser.sh installs Debian's)",
    ),
]
REPO_ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ("<!--<script>alert(1)//", "</script><b>x")
SIZES = {"desktop": (1366, 768), "phone": (400, 800)}


@pytest.fixture(scope="module")
def board_site(tmp_path_factory) -> dict:
    """Build the committee's board once for the module; return paths and entry ids."""
    from medbench.testing import synthetic
    from medbench.leaderboard.folder.submit import submit_run

    base = tmp_path_factory.mktemp("board")
    runs, root = base / "runs", base / "leaderboards"

    def submit(submitter: str = "ana", **options) -> tuple[str, Path]:
        run_dir = synthetic.write_record(runs, subgroups=True, **options)
        return submit_run(root, run_dir, submitter=submitter).entry_id, run_dir

    old = [submit(seed=seed, task_version="0.9", model="mlp", skill=0.9)[0] for seed in (1, 2)]
    # The committee opens task version 1.0 (a submission never does): the 0.9 entries become stale.
    open_version(Board(root, "synthetic"), synthetic.write_record(runs, subgroups=True, seed=0, model="mlp"), actor="committee")
    mlp = [submit(seed=seed, model="mlp", skill=0.9) for seed in (1, 2, 3)]
    logreg = [submit(submitter=HOSTILE[i], seed=seed, model="logreg", skill=0.5) for i, seed in enumerate((1, 2))]
    rejected = submit(submitter="=HYPERLINK(\"http://x\")", seed=7, model="mlp", settings={"dropout": 0.5}, skill=1.2)
    bm25 = {
        language: submit(seed=0, kind="retrieval", model="bm25", settings={"language": language}, skill=skill, n_samples=80)
        for language, skill in (("english", 1.0), ("french", 0.7))
    }
    board = Board(root, "synthetic")
    choose_baseline(board, logreg[0][0], actor="committee", note="the classic")
    record_reproduction(root, "synthetic", mlp[0][0], reproducer="ci", reproduced_run_id="x", matches=True)
    transition(board, mlp[0][0], "approve", actor="ada", note="reproduced")
    transition(board, rejected[0], "reject", actor="ada", note="tuned on the test set")
    unofficial = submit(seed=5, model="mlp", skill=0.9, official_release=False)  # an altered data file: a board of its own
    index = build_site(root, base / "site", tiers=board_tiers)
    return {
        "index": index, "root": root, "page": index.parent / "synthetic" / "index.html", "unofficial": unofficial,
        "unofficial_page": index.parent / "synthetic-nonofficial-data" / "index.html",
        "retrieval": index.parent / "synthetic-retrieval" / "index.html",
        "mlp": mlp, "logreg": logreg, "rejected": rejected, "bm25": bm25, "stale": old,
    }


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={profile}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def open_page(browser, page, size: str = "desktop", fragment: str = "") -> None:
    """Open a page of the static site (a Path) or of `medbench serve` (a URL)."""
    browser.set_window_size(*SIZES[size])
    browser.get((page.as_uri() if isinstance(page, Path) else page) + fragment)
    if fragment:  # a change of fragment alone does not reload the page
        browser.refresh()
    assert severe_logs(browser) == []


def css(browser, selector: str) -> list:
    from selenium.webdriver.common.by import By

    return browser.find_elements(By.CSS_SELECTOR, selector)


def severe_logs(browser) -> list:
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def horizontal_overflow(browser) -> int:
    return browser.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")


def screenshot(browser, name: str, tmp_path: Path) -> Path:
    """A full-height screenshot, kept under MEDBENCH_SCREENSHOTS when set."""
    width = browser.execute_script("return window.innerWidth")
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(width, min(height + 140, 5000))
    path = tmp_path / f"{name}.png"
    browser.save_screenshot(str(path))
    if os.environ.get("MEDBENCH_SCREENSHOTS"):
        shutil.copy(path, Path(os.environ["MEDBENCH_SCREENSHOTS"]) / path.name)
    return path


def compare_json(run_a: Path, run_b: Path, metric: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    result = subprocess.run(
        [sys.executable, "-m", "medbench", "compare", str(run_a), str(run_b), "--metric", metric, "--json"],
        capture_output=True, text=True, env=env, check=True,
    )
    return json.loads(result.stdout)


def test_fits_the_desktop_and_the_phone_with_everything_open(board_site: dict, browser, tmp_path: Path) -> None:
    for size in SIZES:
        open_page(browser, board_site["page"], size)
        assert css(browser, 'meta[name="viewport"]')
        for button in css(browser, "table#ranked button.expand"):
            button.click()
        css(browser, "table#ranked tr.entry button.open")[0].click()
        assert css(browser, "table#ranked tr.detail")
        assert horizontal_overflow(browser) <= 0, f"horizontal scroll at {size}"
        if size == "phone":
            names = [cell for cell in css(browser, "table#ranked td.name") if cell.is_displayed()]
            assert names and min(cell.size["width"] for cell in names) > 300  # cards use the whole width
        screenshot(browser, f"board-{size}", tmp_path)
        assert horizontal_overflow(browser) <= 0
    assert severe_logs(browser) == []


def test_rows_are_named_by_what_was_run_and_seeds_are_grouped(board_site: dict, browser) -> None:
    open_page(browser, board_site["page"])
    groups = css(browser, "table#ranked tr.group-row")
    titles = [row.find_element("css selector", ".title").text for row in groups]
    seeds = [row.find_element("css selector", ".seeds").text for row in groups]
    assert sorted(zip(titles, seeds)) == [("logreg", "2 seeds"), ("mlp", "3 seeds")]
    members = {
        row.get_attribute("data-group"): {tr.get_attribute("data-entry") for tr in css(browser, f'tbody[data-group="{row.get_attribute("data-group")}"] tr.seed')}
        for row in groups
    }
    assert sorted(members.values(), key=len) == [{e for e, _ in board_site["logreg"]}, {e for e, _ in board_site["mlp"]}]
    rejected_name = css(browser, "table#rejected td.name")[0].text
    assert "mlp" in rejected_name and "model.dropout=0.5" in rejected_name
    open_page(browser, board_site["retrieval"])
    names = sorted(cell.text.split("\n")[0] for cell in css(browser, "table#ranked td.name"))
    assert names == ["bm25 model.language=english", "bm25 model.language=french"]


def test_rejected_and_stale_entries_are_listed_apart_and_never_ranked(board_site: dict, browser) -> None:
    open_page(browser, board_site["page"])
    rejected_id = board_site["rejected"][0]
    ranked_ids = {tr.get_attribute("data-entry") for tr in css(browser, "table#ranked tr.entry")}
    assert rejected_id not in ranked_ids and set(board_site["stale"]).isdisjoint(ranked_ids)
    (row,) = css(browser, "table#rejected tr.entry")
    assert row.get_attribute("data-entry") == rejected_id
    assert row.find_element("css selector", "td").text == "–" and "rejected" in row.text
    stale = {tr.get_attribute("data-entry") for tr in css(browser, "table#stale tr.entry")}
    assert stale == set(board_site["stale"])
    ranks = [int(cell.get_attribute("data-v")) for cell in css(browser, "table#ranked tr.group-row td:first-child")]
    assert ranks == [1, 2]
    forest = [row.text for row in css(browser, "#forest .flabel") if row.text]
    assert len(forest) == 2 and not any("dropout=0.5" in label for label in forest)


def test_side_by_side_and_subgroups_show_the_numbers_of_medbench_compare(board_site: dict, browser) -> None:
    (entry_a, run_a), (entry_b, run_b) = board_site["mlp"][1], board_site["logreg"][0]  # B is the baseline
    open_page(browser, board_site["page"], fragment=f"#compare={entry_a[:12]},{entry_b[:12]}")
    assert not css(browser, "#side")[0].get_attribute("hidden")
    for metric in ("auroc", "brier"):
        expected = compare_json(run_a, run_b, metric)
        (row,) = css(browser, f'table#pair tr[data-metric="{metric}"]')
        cell = {name: row.find_element("css selector", f"td.{name}") for name in ("a", "b", "diff", "p")}
        assert float(cell["a"].get_attribute("data-v")) == expected["value_a"]
        assert float(cell["b"].get_attribute("data-v")) == expected["value_b"]
        assert float(cell["diff"].get_attribute("data-v")) == expected["difference"]
        assert float(cell["diff"].get_attribute("data-low")) == expected["ci"]["low"]
        assert float(cell["diff"].get_attribute("data-high")) == expected["ci"]["high"]
        assert float(cell["p"].get_attribute("data-v")) == expected["p_value"]
        assert expected["method"] in cell["p"].text and cell["p"].get_attribute("title") == expected["procedure"]
        low, high, p = expected["ci"]["low"], expected["ci"]["high"], expected["p_value"]
        assert (low > 0 or high < 0) == (p < 0.05), f"{metric}: two answers to one question"
        if metric == "auroc":
            for column, levels in expected["subgroups"].items():
                for level, result in levels.items():
                    (sub,) = css(browser, f'table.pair-subgroups tr[data-column="{column}"][data-level="{level}"]')
                    assert float(sub.find_element("css selector", "td.a").get_attribute("data-v")) == result["value_a"]
                    assert float(sub.find_element("css selector", "td.b").get_attribute("data-v")) == result["value_b"]
    note = css(browser, "#side p.procedure")[0].text
    assert "excludes 0 exactly when p < 0.05" in note and "DeLong" in note and "same resamples" in note
    permalink = css(browser, "#side a.permalink")[0].get_attribute("href")
    assert permalink.endswith(f"#compare={entry_a},{entry_b}")

    expected = compare_json(run_a, run_b, "auroc")["subgroups"]
    open_page(browser, board_site["page"], fragment=f"#entry={entry_a}")
    detail = css(browser, f'tr.detail[data-for="{entry_a}"]')[0]
    for column, levels in expected.items():
        for level, result in levels.items():
            cell = detail.find_element("css selector", f'table.subgroups[data-column="{column}"] tr[data-level="{level}"] td[data-metric="auroc"]')
            assert float(cell.get_attribute("data-v")) == result["value_a"]


def test_a_hostile_submitter_name_leaves_the_table_intact(board_site: dict, browser, tmp_path: Path) -> None:
    open_page(browser, board_site["page"], fragment=f"#entry={board_site['logreg'][0][0]}")
    assert len(css(browser, "table#ranked tr.entry")) == 5 and len(css(browser, "table#ranked tr.group-row")) == 2
    assert len(css(browser, "table#rejected tr.entry")) == 1 and len(css(browser, "table#stale tr.entry")) == 2
    assert not [b for b in css(browser, "b") if b.text == "x"]  # no markup injected
    provenance = css(browser, "tr.detail dl.prov")[0].text
    assert HOSTILE[0] in provenance and "undefined" not in provenance and "task version\n1.0" in provenance
    page = board_site["page"].read_text()
    data = page[page.index('id="board-data">') : page.index("</script>", page.index('id="board-data">'))]
    assert "<" not in data.split(">", 1)[1]
    with open(board_site["page"].parent / "synthetic.csv", newline="") as handle:
        submitters = {row["entry_id"]: row["submitter"] for row in csv.DictReader(handle)}
    assert submitters[board_site["rejected"][0]].startswith("'=")


def test_the_filter_box_and_the_column_chooser(board_site: dict, browser) -> None:
    open_page(browser, board_site["page"])
    from selenium.webdriver.support.ui import WebDriverWait

    def groups_after_typing(text: str) -> list:
        box = css(browser, "#filter")[0]
        box.clear()
        box.send_keys(text)
        WebDriverWait(browser, 5).until(lambda _: len(css(browser, "table#ranked tr.group-row")) < 2)
        return css(browser, "table#ranked tr.group-row")

    assert [row.find_element("css selector", ".title").text for row in groups_after_typing("logreg")] == ["logreg"]
    assert len(css(browser, "#forest .frow:not(.axis-row)")) == 1
    open_page(browser, board_site["page"])
    assert len(groups_after_typing(board_site["mlp"][2][0][:10])) == 1
    open_page(browser, board_site["page"])
    assert css(browser, 'table#ranked th[data-key="m:brier"]')
    css(browser, "details.columns summary")[0].click()
    css(browser, '#column-chooser input[value="m:brier"]')[0].click()
    assert not css(browser, 'table#ranked th[data-key="m:brier"]')


def test_the_forest_plot_has_an_axis_clipped_to_the_metric_and_its_direction(board_site: dict, browser) -> None:
    open_page(browser, board_site["page"])
    ticks = [float(text.text) for text in css(browser, "#forest svg.axis text:not(.better)")]
    assert len(ticks) >= 3 and ticks == sorted(ticks) and max(ticks) <= 1.0
    assert css(browser, "#forest svg.axis text.better")[0].text == "higher is better →"
    assert "95%" in css(browser, "#forest figcaption")[0].text
    from selenium.webdriver.support.ui import Select

    Select(css(browser, "#forest-metric")[0]).select_by_value("brier")
    assert css(browser, "#forest svg.axis text.better")[0].text == "← lower is better"


def test_clicking_a_header_sorts_the_groups(board_site: dict, browser) -> None:
    open_page(browser, board_site["page"])

    def brier() -> list[float]:
        return [float(c.get_attribute("data-v")) for c in css(browser, 'table#ranked tr.group-row td[data-metric="brier"]')]

    css(browser, 'table#ranked th[data-key="m:brier"]')[0].click()
    assert brier() == sorted(brier())
    css(browser, 'table#ranked th[data-key="m:brier"]')[0].click()
    assert brier() == sorted(brier(), reverse=True)
    assert severe_logs(browser) == []


def test_downloads_hold_the_same_numbers(board_site: dict) -> None:
    entries = Board(board_site["root"], "synthetic").entries()
    exported = json.loads((board_site["page"].parent / "synthetic.json").read_text())
    assert {row["entry_id"]: row["entry"]["metrics"]["auroc"]["value"] for row in exported["entries"]} == {
        entry_id: entry.metrics["auroc"].value for entry_id, entry in entries.items()
    }
    with open(board_site["page"].parent / "synthetic.csv", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert {row["entry_id"]: float(row["brier"]) for row in table} == {entry_id: entry.metrics["brier"].value for entry_id, entry in entries.items()}


@pytest.fixture(scope="module")
def forecasting_page(tmp_path_factory) -> Path:
    """A forecasting board: seasonal naive (MASE about 1.10), a weaker and a stronger model; arrows and axes from the registry."""
    from medbench.leaderboard.folder.submit import submit_run
    from medbench.testing import synthetic

    base = tmp_path_factory.mktemp("forecasting")
    runs, root = base / "runs", base / "leaderboards"
    for seed, (model, skill) in enumerate((("seasonal_naive", -0.43), ("arima", 0.4), ("gradient_boosting", 0.9))):
        run = synthetic.write_record(runs, seed=seed, kind="forecasting", model=model, skill=skill, n_samples=150, n_resamples=200)
        submit_run(root, run, submitter="ana")
    index = build_site(root, base / "site", tiers=board_tiers)
    return index.parent / "synthetic-forecasting" / "index.html"


def test_a_forecasting_board_reads_the_right_way_up(forecasting_page: Path, browser) -> None:
    open_page(browser, forecasting_page)

    def header(metric: str):
        (cell,) = css(browser, f'table#ranked th[data-key="m:{metric}"]')
        return cell.find_element("css selector", "span.dir").text, cell.get_attribute("title")

    for metric in ("mase", "smape", "pinball", "width@0.9"):
        arrow, title = header(metric)
        assert arrow == "↓" and "lower is better" in title, (metric, arrow, title)
    arrow, title = header("coverage@0.9")
    assert arrow == "→0.9←" and "closer to 0.9 is better" in title
    assert "(%)" in css(browser, 'table#ranked th[data-key="m:smape"]')[0].text
    naive = max(float(cell.get_attribute("data-v")) for cell in css(browser, 'table#ranked td[data-metric="mase"]'))
    assert 1.05 < naive < 1.2, naive
    ticks = [float(text.text) for text in css(browser, "#forest svg.axis text:not(.better)")]
    assert max(ticks) > 1.1 and max(ticks) >= naive, ticks
    assert css(browser, "#forest svg.axis text.better")[0].text == "← lower is better"
    table_ranks = [int(cell.get_attribute("data-v")) for cell in css(browser, "table#ranked tbody.group > tr:first-child > td:first-child")]
    plot_ranks = [int(label.text.split(".")[0]) for label in css(browser, "#forest .flabel") if label.text]
    assert table_ranks == plot_ranks == [1, 2, 3]
    from selenium.webdriver.support.ui import Select

    Select(css(browser, "#forest-metric")[0]).select_by_value("coverage@0.9")
    assert css(browser, "#forest svg.axis text.better")[0].text == "→ closer to 0.9 is better ←"
    assert css(browser, "#forest svg line.target")
    assert severe_logs(browser) == []


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> dict:
    """`medbench serve` on a SQLite store: a binary board, two teams' submissions, one on non-official data."""
    import pandas as pd

    from medbench.testing import synthetic
    from medbench.leaderboard.committee.board_admin import create_board_from_record
    from medbench.leaderboard.committee.store import CommitteeStore
    from tests.service.conftest import LiveServer

    folder = tmp_path_factory.mktemp("served")
    db_url, key = f"sqlite:///{folder / 'committee.db'}", folder / "server.ed25519"
    store = CommitteeStore(db_url, key)
    admin, _ = store.create_user("root", "admin", None, None)
    alice, _ = store.create_user("alice", "submitter", "A", admin)
    carol, _ = store.create_user("carol", "submitter", "B", admin)
    create_board_from_record(store, synthetic.write_record(folder / "runs", seed=0, subgroups=True), "hospital", daily_quota=10, actor=admin)
    ids, targets = synthetic.samples(200, 0)
    for seed, (user, skill, meta) in enumerate([(alice, 0.9, {}), (alice, 0.85, {}), (carol, 0.6, {"official_release": False})], start=1):
        frame = pd.DataFrame({"sample_id": ids, "score": synthetic.scores(targets, skill, seed)})
        store.submit("hospital", frame, {"seed": seed, "model_target": f"model{seed}", **meta}, user)
    store.close()
    server = LiveServer(db_url, key, folder / "serve.log").start()
    yield {"index": server.url + "/", "page": server.url + "/boards/hospital"}
    server.stop()


def cut_off(browser, selector: str) -> list:
    """The displayed elements of `selector` that reach past the window's right edge."""
    return browser.execute_script(
        "return Array.prototype.filter.call(document.querySelectorAll(arguments[0]), function (e) {"
        " var r = e.getBoundingClientRect(); return r.width > 0 && r.right > document.documentElement.clientWidth + 0.5; }).length",
        selector,
    )


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("where", ["static", "served"])
def test_the_committee_reads_the_page_at_both_sizes(where: str, size: str, board_site: dict, served: dict, browser, tmp_path: Path) -> None:
    page = board_site["unofficial_page"] if where == "static" else served["page"]
    open_page(browser, page, size)
    assert horizontal_overflow(browser) <= 0
    # the non-official data file: a badge in the header and on its row, and the board's name says so
    assert css(browser, "h1 #nonofficial-badge") and css(browser, "table.board td.name .badge.nonofficial")
    if where == "static":
        assert css(browser, "h1")[0].text.startswith("synthetic-nonofficial-data")
    # ROC and calibration from aggregated points, with counts
    assert css(browser, "#curves svg.roc polyline") and "positives" in css(browser, "#curves .curve-counts")[0].text
    counts = [int(cell.get_attribute("data-v")) for cell in css(browser, "#curves table.calibration-bins td.n")]
    assert counts and min(counts) >= 5 and sum(counts) <= 200
    # the submitter (and team) of each entry; secondary metrics reachable
    assert [c for c in css(browser, "table#ranked td.who") if c.is_displayed() and c.text]
    assert [c for c in css(browser, 'table#ranked td[data-metric="brier"]') if c.is_displayed()]
    screenshot(browser, f"{where}-{size}", tmp_path)
    assert horizontal_overflow(browser) <= 0 and cut_off(browser, "table#ranked td, table#ranked th") == 0


@pytest.mark.parametrize("size", list(SIZES))
def test_the_p_column_is_never_cut_off(size: str, board_site: dict, browser) -> None:
    open_page(browser, board_site["page"], size)
    p_values = [cell for cell in css(browser, "table#ranked td.delta .p, table#ranked td .sub") if "p=" in cell.text]
    assert p_values and all(cell.is_displayed() for cell in p_values)
    assert cut_off(browser, "table#ranked td.delta, table#ranked td.delta .p") == 0 and horizontal_overflow(browser) <= 0


def test_headers_sort_from_the_keyboard_and_controls_are_labelled(board_site: dict, served: dict, browser) -> None:
    from selenium.webdriver.common.keys import Keys

    for page in (board_site["page"], served["page"]):
        open_page(browser, page)
        button = css(browser, 'table#ranked th[data-key="m:brier"] button.sort')[0]
        button.send_keys(Keys.ENTER)
        # An entry the Ladder holds shows no secondary numbers (empty cells): the released ones sort.
        cells = css(browser, 'table#ranked tbody > tr:first-child td[data-metric="brier"]')
        brier = [float(value) for value in (c.get_attribute("data-v") for c in cells) if value]
        assert brier
        assert brier == sorted(brier) and css(browser, 'th[data-key="m:brier"]')[0].get_attribute("aria-sort") == "ascending"
        css(browser, 'table#ranked th[data-key="m:brier"] button.sort')[0].send_keys(Keys.SPACE)
        assert css(browser, 'th[data-key="m:brier"]')[0].get_attribute("aria-sort") == "descending"
        unlabelled = browser.execute_script(
            "return Array.prototype.filter.call(document.querySelectorAll('input, select, button'), function (e) {"
            " return !(e.getAttribute('aria-label') || (e.labels && e.labels.length) || e.textContent.trim()); }).length"
        )
        assert unlabelled == 0
    open_page(browser, served["index"])
    header = css(browser, "table#boards th")[0]
    header.send_keys(Keys.ENTER)
    assert header.get_attribute("aria-sort") == "ascending"
    assert "hospital" in css(browser, "table#boards td.name a")[0].text


def test_the_index_names_the_leading_group_and_its_ties(board_site: dict, browser) -> None:
    open_page(browser, board_site["index"])
    (row,) = [tr for tr in css(browser, "table#boards tbody tr") if tr.get_attribute("data-board") == "synthetic"]
    leader = row.find_element("css selector", ".leader").text
    assert leader.startswith("mlp") and "3 seeds" in leader
