"""Loaders for the formats users have, and generators of small learnable data for tests."""
