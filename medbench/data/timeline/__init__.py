"""Patient timelines (MEDS): readers, converters from Synthea and OMOP, a generated cohort, leak-free features, pathways."""
