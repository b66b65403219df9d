"""The static site in a real headless browser (Debian's chromium, driven by selenium, from file://)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from medbench.leaderboard.review import record_reproduction, transition
from medbench.leaderboard.site import build_site
from medbench.leaderboard.store import Board
from medbench.leaderboard.tiers import board_tiers

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER),
        reason="chromium and chromedriver are not installed (.ci/install-browser.sh installs Debian's)",
    ),
]


@pytest.fixture
def site(make_record, submit, root: Path, tmp_path: Path) -> Path:
    results = [submit(make_record(seed=seed, skill=0.2 + seed / 8)) for seed in range(6)]
    record_reproduction(root, "synthetic", results[2].entry_id, reproducer="ci", reproduced_run_id="x", matches=True)
    transition(Board(root, "synthetic"), results[2].entry_id, "approve", actor="ada", note="reproduced")
    submit(make_record(seed=9, task_version="2.0"))  # the six above become stale
    for seed in range(10, 14):
        submit(make_record(seed=seed, task_version="2.0", skill=seed / 10))
    return build_site(root, tmp_path / "site", tiers=board_tiers)


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def rows(browser, table: str) -> list:
    from selenium.webdriver.common.by import By

    return browser.find_elements(By.CSS_SELECTOR, f"table#{table} tbody tr")


def severe_logs(browser) -> list:
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def test_pages_load_without_console_errors_and_show_the_entries_numbers(site: Path, root: Path, browser) -> None:
    from selenium.webdriver.common.by import By

    browser.get(site.as_uri())
    assert severe_logs(browser) == []
    browser.find_element(By.LINK_TEXT, "synthetic").click()
    assert browser.current_url == (site.parent / "synthetic" / "index.html").as_uri()
    assert severe_logs(browser) == []
    board = Board(root, "synthetic")
    entries = board.entries()
    current, stale = rows(browser, "current"), rows(browser, "stale")
    assert len(current) == 5 and len(stale) == 6
    for row in current + stale:
        entry = entries[row.get_attribute("data-entry")]
        for cell in row.find_elements(By.CSS_SELECTOR, "td[data-metric]"):
            metric = entry.metrics[cell.get_attribute("data-metric")]
            assert cell.text == f"{metric.value:.4f}"
            assert float(cell.get_attribute("data-v")) == metric.value
        assert row.find_element(By.CSS_SELECTOR, "svg.ci circle")
    values = [float(row.find_elements(By.CSS_SELECTOR, "td[data-metric]")[0].get_attribute("data-v")) for row in current]
    assert values == sorted(values, reverse=True)
    tiers = [int(row.find_elements(By.TAG_NAME, "td")[1].get_attribute("data-v")) for row in current]
    assert tiers[0] == 1 and tiers == sorted(tiers)
    assert all("p=" in row.text for row in current if "baseline" not in row.get_attribute("class"))
    states = {row.get_attribute("data-entry"): row.find_element(By.CSS_SELECTOR, "td[class*=state-]").text for row in stale}
    assert sorted(states.values()) == ["approved"] + ["submitted"] * 5


def test_provenance_opens_with_the_run_and_its_audit_history(site: Path, root: Path, browser) -> None:
    from selenium.webdriver.common.by import By

    browser.get((site.parent / "synthetic" / "index.html").as_uri())
    approved = next(row for row in rows(browser, "stale") if "approved" in row.text)
    entry = Board(root, "synthetic").read_entry(approved.get_attribute("data-entry"))
    approved.find_element(By.TAG_NAME, "summary").click()
    details = approved.find_element(By.CSS_SELECTOR, "details dl").text
    assert entry.provenance.run_id in details and entry.provenance.predictions_sha256 in details
    assert "approve by ada: reproduced" in details and "reproduce by ci" in details
    assert severe_logs(browser) == []


def test_clicking_a_header_sorts_the_rows(site: Path, browser) -> None:
    from selenium.webdriver.common.by import By

    browser.get((site.parent / "synthetic" / "index.html").as_uri())
    header = browser.find_element(By.CSS_SELECTOR, "table#current th[data-metric=brier]")

    def brier_column() -> list[float]:
        return [float(row.find_element(By.CSS_SELECTOR, "td[data-metric=brier]").get_attribute("data-v")) for row in rows(browser, "current")]

    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert brier_column() == sorted(brier_column())
    header.click()
    assert header.get_attribute("aria-sort") == "descending"
    assert brier_column() == sorted(brier_column(), reverse=True)
    assert severe_logs(browser) == []


def test_downloads_hold_the_same_numbers(site: Path, root: Path) -> None:
    entries = Board(root, "synthetic").entries()
    exported = json.loads((site.parent / "synthetic" / "synthetic.json").read_text())
    assert {row["entry_id"]: row["entry"]["metrics"]["auroc"]["value"] for row in exported["entries"]} == {
        entry_id: entry.metrics["auroc"].value for entry_id, entry in entries.items()
    }
    with open(site.parent / "synthetic" / "synthetic.csv", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert {row["entry_id"]: float(row["brier"]) for row in table} == {
        entry_id: entry.metrics["brier"].value for entry_id, entry in entries.items()
    }
