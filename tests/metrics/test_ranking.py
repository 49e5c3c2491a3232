"""Ranks and medians (metrics/ranking.py): 1 is the best, ties share a rank, no data no rank."""

from metrics.ranking import competition_ranks, median_value, rank_change


def test_highest_value_ranks_first_and_ties_share_the_better_rank():
    ranks = competition_ranks({"a": 0.5, "b": 0.9, "c": 0.5, "d": 0.7})
    assert ranks == {"b": 1, "d": 2, "a": 3, "c": 3}


def test_keys_without_data_have_no_rank_and_do_not_push_others_down():
    assert competition_ranks({"a": None, "b": 0.1, "c": 0.2}) == {"c": 1, "b": 2}
    assert competition_ranks({"a": None}) == {}


def test_median_of_the_values_with_data():
    assert median_value([0.2, None, 0.6, 0.4]) == 0.4
    assert abs(median_value([0.2, 0.4]) - 0.3) < 1e-12
    assert median_value([None, None]) is None


def test_rank_change_is_places_gained():
    assert rank_change(5, 2) == 3
    assert rank_change(2, 5) == -3
    assert rank_change(None, 1) is None and rank_change(1, None) is None
