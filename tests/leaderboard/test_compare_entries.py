"""`medbench compare` takes the entry ids the board page shows as well as run record folders."""

from __future__ import annotations

from pathlib import Path


def test_compare_by_entry_ids_gives_the_same_answer_as_by_record_folders(make_record, submit, cli, root: Path) -> None:
    folders = [make_record(seed=1, skill=0.9), make_record(seed=2, skill=0.5)]
    ids = [submit(folder).entry_id for folder in folders]
    by_records = cli("compare", *map(str, folders))
    by_entries = cli("compare", ids[0][:12], ids[1][:12])
    assert by_records.returncode == 0 and by_entries.returncode == 0, by_entries.stderr
    difference = [line for line in by_records.stdout.splitlines() if line.startswith(("A - B", "p-value"))]
    assert difference and all(line in by_entries.stdout for line in difference)
    assert f"entry {ids[0][:12]}" in by_entries.stdout
    mixed = cli("compare", ids[0][:12], str(folders[1]), "--board", "synthetic")
    assert mixed.returncode == 0 and difference[0] in mixed.stdout


def test_an_unknown_entry_id_costs_one_line(make_record, submit, cli) -> None:
    submit(make_record(seed=1))
    result = cli("compare", "abcdef123456", "0123456789ab")
    assert result.returncode == 2 and "no entry of any board" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
