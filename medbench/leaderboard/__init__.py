"""Shared leaderboards: a store of content-addressed entries per board, the comparability rules
that decide what may share a board, ranking with uncertainty, committee review recorded in a
hash-chained audit log, verification, and the terminal and web views.

Nothing here imports torch, lightning or models: the committee's commands answer at once.
"""
