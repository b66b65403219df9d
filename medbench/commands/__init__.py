"""One module per `medbench` subcommand; see :mod:`medbench.cli` for the contract."""
