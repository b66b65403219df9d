"""`medbench leaderboard export` and `verify DIR`: what the committee publishes, and its offline check.

    DIR/public_key.pem                     the server's Ed25519 public key (the current one: it signs the head)
    DIR/key_history.json                   every key the log was signed with, oldest first (`board.key_history`)
    DIR/log.jsonl                          every audit event, hash-chained and signed
    DIR/head.json                          the signed head: event count, last hash, and the site's digest
    DIR/boards/<board>/board.json          the board's spec (its hash is in the log)
    DIR/boards/<board>/entries/<id>.json   each entry's released aggregates (`board.release`; their
                                           SHA-256 is in the entry's signed submit event)
    DIR/site/                              the static site
    DIR/site.sha256.json                   the SHA-256 of every file of the site (its own hash is in the head)

Aggregates only, as the release policy releases them: no sample ids, targets or scores, no number
finer than the policy's resolution (the full-precision entries, whose hash is the entry id, stay in
the database). `verify` recomputes every hash, checks every
signature with the key in force at its place (from the log's first key on, following each
`key_rotated` event its predecessor signed), trusts the export when the key pinned with
`--public-key` is one of those keys (the first one published, or any later one; without a pin,
the export's own, whose fingerprint it prints), and with `--head OLD` checks that the log still extends a head kept from an earlier
export: edits, reordering, deletions, truncation and a rebuilt chain each fail. The site is
covered too: its files' digests are signed through the head, so one value edited in a page fails.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Optional

from medbench.errors import LeaderboardError
from medbench.leaderboard.committee.store import CommitteeStore
from medbench.io import canonical_bytes, sha256_file, sha256_hex
from medbench.leaderboard.board.events import GENESIS, Event
from medbench.leaderboard.committee.signed_log import chain_problems, event_line, head_problems

PUBLIC_KEY = "public_key.pem"
KEY_HISTORY = "key_history.json"
LOG = "log.jsonl"
HEAD = "head.json"
BOARDS = "boards"
SITE = "site"
SITE_DIGESTS = "site.sha256.json"


def export(store: CommitteeStore, out: Path, *, tiers: bool = True) -> Path:
    """Write the public export into `out` (replacing an earlier export as a whole); return `out`."""
    from medbench.leaderboard.board.ranking import rank_entries
    from medbench.leaderboard.board.tiers import released_tiers
    from medbench.leaderboard.board.schema import Entry
    from medbench.leaderboard.views.site import write_site

    out = Path(out)
    if out.exists() and any(out.iterdir()) and not (out / HEAD).is_file():
        raise LeaderboardError(f"{out}: exists and is not an earlier export (no {HEAD}); choose an empty or new folder")
    staging = out.with_name(f".{out.name}.staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    events, boards = store.public_snapshot()
    history = store.key_history(events)
    (staging / PUBLIC_KEY).write_text(history[-1].public_key)
    (staging / KEY_HISTORY).write_bytes(canonical_bytes([period.as_json() for period in history]))
    (staging / LOG).write_bytes(b"".join(event_line(event) + b"\n" for event in events))
    rankings = []
    for name, (spec, contents) in boards.items():
        folder = staging / BOARDS / name / "entries"
        folder.mkdir(parents=True)
        (folder.parent / "board.json").write_bytes(canonical_bytes(spec.model_dump(mode="json")))
        for entry_id, data in contents.items():
            (folder / f"{entry_id}.json").write_bytes(data)
        entries = {entry_id: Entry.model_validate_json(data) for entry_id, data in contents.items()}
        board_events = [event for event in events if event.board == name]
        board_tiers = (
            released_tiers(store.policy(name), committee_tiers(store, name, spec, entries, board_events), store.withheld(name))
            if tiers else None
        )
        rankings.append(rank_entries(spec, entries, board_events, board_tiers))
    write_site(rankings, staging / SITE)
    digests = canonical_bytes(file_digests(staging / SITE))
    (staging / SITE_DIGESTS).write_bytes(digests)
    head = store.signed_head(len(events), events[-1].hash if events else GENESIS, sha256_hex(digests))
    if head["public_key"] != history[-1].fingerprint:
        raise LeaderboardError("the signing key was rotated while exporting; export again")
    (staging / HEAD).write_bytes(canonical_bytes(head))
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    return out


def file_digests(folder: Path) -> dict[str, str]:
    """Relative path → SHA-256 of every file under `folder`."""
    return {path.relative_to(folder).as_posix(): sha256_file(path) for path in sorted(folder.rglob("*")) if path.is_file()}


def committee_tests(store: CommitteeStore, board: str, spec: Any) -> Any:
    """The board's `PairedTests`: each entry's stored scores read and joined to the hidden labels of the spec's task
    version (read once; tiers rank its current entries only) when first tested."""
    from medbench.leaderboard.board.tiers import PairedTests
    from medbench.leaderboard.committee.hidden import outputs_of

    labels = store.hidden_labels(board, spec.task_version)
    return PairedTests(spec, lambda entry_id: outputs_of(store.scores(entry_id), labels, spec.kind))


def committee_tiers(
    store: CommitteeStore, board: str, spec: Any, entries: dict[str, Any], events: list[Event], tests: Optional[Any] = None
) -> Any:
    """Tiers from the stored scores joined to the hidden labels (computed on the server), over the
    entries the board ranks: its review `events` leave the rejected ones out, as on a folder board.

    `tests`: the board's `committee_tests` kept from an earlier render (a server's), whose tests of
    entries still on the board are reused; made here when not given or made for another protocol."""
    from medbench.errors import MedbenchError
    from medbench.leaderboard.board.ranking import ranked_ids
    from medbench.leaderboard.board.tiers import Tiers, compute_tiers

    current = ranked_ids(spec, entries, events)
    if tests is None or not tests.fits(spec):
        tests = committee_tests(store, board, spec)
    try:
        return compute_tiers(spec, entries, current, tests)
    except (MedbenchError, ValueError, KeyError) as error:
        return Tiers(note=f"unavailable: {error}")


def verify_export(folder: Path, *, public_key_pem: Optional[str] = None, old_head: Optional[Path] = None) -> tuple[list[str], dict[str, Any]]:
    """Every problem of the export at `folder` (empty when it holds), and facts to print."""
    from medbench.leaderboard.board.key_history import key_at
    from medbench.leaderboard.board.signing import fingerprint

    folder = Path(folder)
    for name in (PUBLIC_KEY, LOG, HEAD):
        if not (folder / name).is_file():
            raise LeaderboardError(f"{folder}: not a medbench export (no {name}); make one with `medbench leaderboard export`")
    exported_key = (folder / PUBLIC_KEY).read_text()
    listed = _listed_keys(folder)
    first_key = listed[0]["public_key"] if listed else exported_key
    head = _json(folder / HEAD)
    problems, events, keys = chain_problems((folder / LOG).read_bytes().splitlines(), first_key, str(folder / LOG))
    history = keys.history
    if public_key_pem is not None:
        signers = [period.fingerprint for period in history]
        signers = signers[: signers.index(key_at(history, _count(head)).fingerprint) + 1]
        if fingerprint(public_key_pem) not in signers:
            return [f"{folder / PUBLIC_KEY}: the key you pinned ({fingerprint(public_key_pem)}) signed none of this log up to its head "
                    f"(its keys: {', '.join(signers)}); the export was signed by someone else"], {}
    if not keys.refused:  # after a forged rotation its one line says it all
        if fingerprint(exported_key) != history[-1].fingerprint:
            problems.append(f"{folder / PUBLIC_KEY}: not the log's current key ({history[-1].fingerprint})")
        if listed is not None and listed != [period.as_json() for period in history]:
            problems.append(f"{folder / KEY_HISTORY}: does not match the key rotations of the log")
        problems += head_problems(head, events, history, str(folder / HEAD))
        if old_head is not None:
            problems += head_problems(_json(old_head), events, history, str(old_head))
    problems += _board_problems(folder, events)
    problems += _site_problems(folder, head.get("site_sha256"))
    last = events[-1].hash if events else GENESIS
    facts = {"events": len(events), "head": last, "key": history[-1].fingerprint, "first_key": history[0].fingerprint,
             "keys": len(history), "boards": len(_board_folders(folder))}
    return problems, facts


def _listed_keys(folder: Path) -> Optional[list[Any]]:
    """The export's key history (None for an export made before keys could rotate)."""
    if not (folder / KEY_HISTORY).is_file():
        return None
    try:
        listed = json.loads((folder / KEY_HISTORY).read_bytes())
        if isinstance(listed, list) and listed and all(isinstance(period.get("public_key"), str) for period in listed):
            return listed
    except (ValueError, AttributeError):
        pass
    raise LeaderboardError(f"{folder / KEY_HISTORY}: not a key history (a list of keys with their public_key)")


def _count(head: dict[str, Any]) -> int:
    try:
        return int(head["count"])
    except (KeyError, TypeError, ValueError):
        return 0


def _json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_bytes())
    except (OSError, ValueError) as error:
        raise LeaderboardError(f"{path}: not readable JSON ({error})") from None
    if not isinstance(value, dict):
        raise LeaderboardError(f"{path}: not a signed head")
    return value


def _board_folders(folder: Path) -> list[Path]:
    return sorted(path for path in (folder / BOARDS).glob("*") if path.is_dir())


def _board_problems(folder: Path, events: list[Event]) -> list[str]:
    """Entries against their hashes and submit events; board files against their logged hashes."""
    problems = []
    submitted: dict[str, set[str]] = {}
    spec_hash: dict[str, str] = {}
    # Entries submitted under a release policy are exported as released, with that hash in their event;
    # older ones as stored, their hash their id.
    released_hash: dict[str, str] = {}
    for event in events:
        if event.board is None:
            continue
        if event.event == "submit" and event.entry:
            submitted.setdefault(event.board, set()).add(event.entry)
            released_hash[event.entry] = event.data.get("released_sha256", event.entry)
        if "board_sha256" in event.data:
            spec_hash[event.board] = event.data["board_sha256"]
    boards = {path.name: path for path in _board_folders(folder)}
    for name in sorted(set(spec_hash) - set(boards)):
        problems.append(f"{folder / BOARDS / name}: a board of the log is missing from the export")
    for name, path in boards.items():
        spec = path / "board.json"
        if name not in spec_hash:
            problems.append(f"{path}: a board the log never created")
            continue
        if not spec.is_file() or sha256_hex(spec.read_bytes()) != spec_hash[name]:
            problems.append(f"{spec}: does not match the hash its last audit event recorded (edited)")
        on_disk = set()
        for entry_file in sorted((path / "entries").glob("*.json")):
            entry_id = entry_file.stem
            on_disk.add(entry_id)
            if entry_id not in submitted.get(name, set()):
                problems.append(f"{entry_file}: an entry with no submit event in the log (added by hand)")
            elif sha256_hex(entry_file.read_bytes()) != released_hash[entry_id]:
                problems.append(f"{entry_file}: edited entry (its bytes no longer match the hash its submit event holds)")
        for entry_id in sorted(submitted.get(name, set()) - on_disk):
            problems.append(f"{path / 'entries' / (entry_id + '.json')}: a submitted entry is missing (removed)")
    return problems


def _site_problems(folder: Path, signed_digest: Any) -> list[str]:
    """The site's files against the digests the signed head covers: each edited, added or removed file."""
    site, digests = folder / SITE, folder / SITE_DIGESTS
    if signed_digest is None:
        return [f"{site}: not covered by the signed head (exported before heads named the site); export again"] if site.exists() else []
    if not digests.is_file() or sha256_hex(digests.read_bytes()) != signed_digest:
        return [f"{digests}: does not match the site digest in the signed head (edited or missing)"]
    recorded = json.loads(digests.read_bytes())
    actual = file_digests(site) if site.is_dir() else {}
    problems = []
    for name in sorted(set(recorded) | set(actual)):
        if name not in actual:
            problems.append(f"{site / name}: a file of the exported site is missing (removed)")
        elif name not in recorded:
            problems.append(f"{site / name}: a file the export did not write (added)")
        elif actual[name] != recorded[name]:
            problems.append(f"{site / name}: edited (its SHA-256 is not the one the signed head covers)")
    return problems
