"""The ensemble back-ends behind one ``Evaluator`` protocol, giving the same results."""

from __future__ import annotations

import operator

import pytest

from oreshock.ensemble.evaluators import (
    DaskEvaluator,
    Evaluator,
    PoolEvaluator,
    SequentialEvaluator,
    make_evaluator,
)
from oreshock.ensemble.sampling import EnsembleError


def test_every_back_end_satisfies_the_protocol():
    for evaluator in (SequentialEvaluator(), PoolEvaluator(2), DaskEvaluator("local", 1)):
        assert isinstance(evaluator, Evaluator)
    assert isinstance(make_evaluator(1), SequentialEvaluator)
    assert isinstance(make_evaluator(3), PoolEvaluator)
    assert isinstance(make_evaluator(2, "local"), DaskEvaluator)


def test_pool_gives_the_sequential_results():
    tasks = list(range(23))
    with SequentialEvaluator() as seq:
        expected = list(seq.imap_unordered(operator.neg, tasks))
    with PoolEvaluator(2) as pool:
        got = list(pool.imap_unordered(operator.neg, iter(tasks)))
    assert expected == [-t for t in tasks]
    assert sorted(got) == sorted(expected)


def test_parallel_evaluators_must_be_entered():
    with pytest.raises(EnsembleError, match="context manager"):
        next(PoolEvaluator(1).imap_unordered(operator.neg, [1]))
    with pytest.raises(EnsembleError, match="at least 1"):
        PoolEvaluator(0)
