"""Configs: where `conf/` lives, its typed schema, composition, run identity, the config as records keep it, the safety check of outside configs, instantiation and "did you mean"."""
