"""Reproduction: rerun a run from what it stored, and say whether the numbers came back.

The target is a run record, a transfer bundle or a leaderboard entry (whose run record is looked
up under the local runs folder). In order:

1. the stored, fully resolved config is checked by the `_target_` allow-list (it came from
   outside) and rebuilt as it was, not from today's defaults;
2. the dataset is loaded and its fingerprint compared with the stored one; a mismatch stops here;
3. the run is rerun into a fresh folder under `paths.reproductions_dir`, so it really reruns and
   never touches the original record;
4. every metric (value and interval bounds) is compared with a tolerance, the environments are
   diffed, and `reproduction.json` is written beside the rerun's record.

Modules, one job each: :mod:`claims` (what a record, bundle or entry claims), :mod:`rebuild`
(its config and data, checked), :mod:`rerun` (the rerun and its link to a board), :mod:`outcome`
(what `reproduction.json` holds) and :mod:`show` (what the command prints).
"""
