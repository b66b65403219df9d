"""`medbench serve`: the committee's store over HTTP (FastAPI), and the client the CLI uses.

`app` maps requests to :class:`medbench.leaderboard.committee.store.CommitteeStore` calls (the token in
`Authorization: Bearer ...` names the actor); `client` offers the same operations over HTTP or on
an embedded store, so every command works with `--server URL` or `--db URL` alike.
"""
