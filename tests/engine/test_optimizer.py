"""Minibatch sampling and the double-buffered SGD update."""

import numpy as np

from engine.network import Layer
from engine.optimizer import SGD, MinibatchSampler


def test_each_epoch_is_a_permutation_cut_into_batches():
    s = MinibatchSampler(10, seed=3)
    epoch = [s.next(3) for _ in range(3)]  # 9 of 10: the short remainder is skipped
    seen = np.concatenate(epoch)
    assert len(set(seen.tolist())) == 9
    first_of_next = s.next(3)  # a new permutation starts
    assert s.cursor == 3 and len(first_of_next) == 3


def test_whole_set_when_the_batch_is_larger():
    s = MinibatchSampler(7, seed=0)
    np.testing.assert_array_equal(s.next(100), np.arange(7))
    np.testing.assert_array_equal(s.next(7), np.arange(7))


def test_peek_equals_next_and_consumes_nothing():
    s = MinibatchSampler(50, seed=1)
    for _ in range(30):
        peeked = s.peek(8).copy()
        np.testing.assert_array_equal(peeked, s.next(8))


def test_same_seed_same_batches():
    a, b = MinibatchSampler(40, 5), MinibatchSampler(40, 5)
    for _ in range(20):
        np.testing.assert_array_equal(a.next(6), b.next(6))


def test_update_and_rollback():
    W = np.array([[1.0, 2.0]])
    sgd = SGD([Layer(W.copy(), np.array([0.5]))], learning_rate=0.1)
    sgd.update([np.array([[10.0, -10.0]])], [np.array([1.0])])
    np.testing.assert_allclose(sgd.params[0].W, [[0.0, 3.0]])
    np.testing.assert_allclose(sgd.params[0].b, [0.4])
    assert sgd.rollback()
    np.testing.assert_array_equal(sgd.params[0].W, W)
    assert not sgd.rollback()  # only the last update can be undone


def test_momentum_starts_from_zero_velocity_when_switched_on():
    sgd = SGD([Layer(np.zeros((1, 1)), np.zeros(1))], learning_rate=1.0)
    g = [np.ones((1, 1))], [np.zeros(1)]
    sgd.update(*g)  # plain: θ = −1
    sgd.momentum = 0.5
    sgd.update(*g)  # u = 0.5·0 − 1 = −1 → θ = −2
    sgd.update(*g)  # u = 0.5·(−1) − 1 = −1.5 → θ = −3.5
    np.testing.assert_allclose(sgd.params[0].W, [[-3.5]])
