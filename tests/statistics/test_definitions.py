"""The figures' building blocks, by their definitions: medians, HHI, the bands."""

from market.statistics.tables import hhi_band, single_bid_band
from market.statistics.tallies import Competition, ItemShare, Spans


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two():
    spans = Spans()
    for days, n in ((2, 1), (3, 1), (5, 1), (9, 1)):
        spans.add(days, n)
    assert (spans.median, spans.mean, spans.n) == (4.0, 4.75, 4)
    spans.add(1, 1)
    assert spans.median == 3


def test_hhi_is_the_sum_of_squared_percentage_shares():
    share = ItemShare(1, agencies={1: (1, 50_000_00), 2: (1, 30_000_00), 3: (1, 20_000_00)})
    assert share.hhi == 3800  # 50² + 30² + 20²
    assert ItemShare(2, agencies={1: (3, 10_00)}).hhi == 10000
    assert ItemShare(3).hhi is None


def test_single_response_share_counts_notices_with_any_response():
    competition = Competition()
    competition.add(0, 2)  # failed for want of quotes: no single bidder among them
    competition.add(1, 1)
    competition.add(3, 3)
    assert competition.notices == 6 and competition.answered == 4
    assert competition.single_share == 0.25
    assert competition.mean == 10 / 6


def test_the_scoreboard_bands_of_single_bidding():
    assert single_bid_band(0.10) == ("满意", "good")
    assert single_bid_band(0.1001) == ("一般", "weak")
    assert single_bid_band(0.20) == ("一般", "weak")
    assert single_bid_band(0.2001) == ("较差", "poor")
    assert single_bid_band(None) is None


def test_the_concentration_bands():
    assert hhi_band(1499) == ("集中度低", "low")
    assert hhi_band(1500) == ("中度集中", "moderate")
    assert hhi_band(2500) == ("中度集中", "moderate")
    assert hhi_band(2501) == ("高度集中", "high")
