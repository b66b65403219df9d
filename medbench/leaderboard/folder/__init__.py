"""Folder boards: a board as files under `leaderboards/<board>/`, with its audit log, submission, review and verification."""
