"""How a sweep cuts its reads into Prefect task runs: ``pages_per_batch`` pages each, and larger batches for a
scope that would otherwise take more than ``batches_per_policy`` task runs; and into slices paged at once."""

from __future__ import annotations

import pytest

from escalator.sweep.parameters import SweepParameters


@pytest.mark.parametrize(
    ("scope_count", "pages"),
    [
        (None, 20),  # the count is unknown: the configured batch
        (0, 20),
        (8_062, 20),  # 81 pages: five batches of 20
        (20_000, 20),  # 200 pages: ten batches of 20
        (20_001, 21),  # 201 pages: ten batches of 21, not eleven of 20
        (80_199, 81),  # 803 pages: ten batches
    ],
)
def test_large_scopes_take_larger_batches(scope_count: int | None, pages: int) -> None:
    assert SweepParameters().pages_per_task(scope_count) == pages


def test_the_batch_is_fixed_when_batches_per_policy_is_none() -> None:
    params = SweepParameters(pages_per_batch=5, batches_per_policy=None)
    assert params.pages_per_task(1_000_000) == 5


def test_batches_follow_the_page_size() -> None:
    params = SweepParameters(page_size=50, pages_per_batch=4, batches_per_policy=3)
    assert params.pages_per_task(1_000) == 7  # 20 pages in three batches of at most 7
    assert params.pages_per_task(500) == 4  # 10 pages: the configured four a batch already makes three batches


@pytest.mark.parametrize(
    ("scope_count", "readers", "slices"),
    [
        (None, 1, 1),  # the count is unknown: one search
        (999, 1, 1),  # under ten pages: not sliced
        (2_000, 2, 2),  # 20 pages: two readers, a slice of ten pages each
        (10_000, 8, 10),  # 100 pages: eight readers, no slice under ten pages
        (80_267, 8, 32),  # 803 pages: four slices a reader
        (1_000_000, 8, 32),
    ],
)
def test_a_large_scope_is_cut_into_several_slices_per_reader(
    scope_count: int | None, readers: int, slices: int
) -> None:
    params = SweepParameters()
    assert (params.partitions_for(scope_count), params.slices_for(scope_count)) == (readers, slices)
