"""Small generated data sets with a learnable signal, for tests and fresh-clone runs."""
