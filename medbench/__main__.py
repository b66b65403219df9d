"""`python -m medbench` is the same command as `medbench`."""

from medbench.cli import main

raise SystemExit(main())
