"""Port sets: the arithmetic behind merging accepts and subtracting drops."""

from __future__ import annotations

import pytest

from nbaccess.access.ports import EVERY_PORT, NO_PORT, PortSet


def ports(*ranges: tuple[int, int]) -> PortSet:
    return PortSet.of(ranges)


@pytest.mark.parametrize(
    ("given", "merged"),
    [
        ([(443, 443), (80, 80)], ["80", "443"]),
        ([(8000, 8010), (8011, 8020)], ["8000-8020"]),  # adjacent ranges join
        ([(8000, 8100), (8050, 8060)], ["8000-8100"]),  # contained range disappears
        ([(1, 65535)], []),  # every port is shown as NetBird shows a portless rule
    ],
)
def test_ranges_are_merged_and_labelled(given: list[tuple[int, int]], merged: list[str]) -> None:
    assert PortSet.of(given).labels() == merged


@pytest.mark.parametrize(
    ("left", "right", "left_minus_right"),
    [
        (ports((1, 65535)), ports((22, 22)), ["1-21", "23-65535"]),
        (ports((8000, 8100)), ports((8050, 8200)), ["8000-8049"]),
        (ports((443, 443)), ports((443, 443)), []),
        (ports((53, 53), (443, 443)), ports((1, 100)), ["443"]),
    ],
)
def test_subtracting_cuts_holes(left: PortSet, right: PortSet, left_minus_right: list[str]) -> None:
    result = left.minus(right)
    assert result.labels() == left_minus_right
    assert not result.overlaps(right)


def test_cover_overlap_and_count() -> None:
    assert EVERY_PORT.covers(ports((443, 443)))
    assert not ports((443, 443)).covers(ports((443, 444)))
    assert ports((440, 450)).overlaps(ports((443, 443)))
    assert not ports((440, 450)).overlaps(ports((451, 460)))
    assert ports((440, 450)).intersection(ports((445, 500))).labels() == ["445-450"]
    assert EVERY_PORT.count() == 65535
    assert NO_PORT.is_empty
    assert NO_PORT.count() == 0
