"""Counts and choices in messages read as English."""

from medbench.wording import counted, or_list


def test_counts_take_the_right_plural() -> None:
    assert counted(622, "query") == "622 queries"
    assert counted(1, "query") == "1 query"
    assert counted(35, "patient") == "35 patients"


def test_choices_read_as_a_list() -> None:
    assert or_list(["ridge"]) == "ridge"
    assert or_list(["ridge", "linear", "mlp_regressor"]) == "ridge, linear or mlp_regressor"
