"""The run record, the one contract between what produces results and what reads them: its typed protocol, the folder layout and schema, and provenance."""
