"""medbench: declarative experiments and trustworthy evaluation for medical AI.

Every run writes one self-describing record (see :mod:`medbench.records.record`); statistics,
leaderboards, reproduction and export all read that record and nothing else.
"""

__version__ = "0.1.0"
