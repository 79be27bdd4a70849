"""Data generators: shapes, classes, seeds and splits."""

import numpy as np
import pytest

from engine import DATASETS, DataConfig
from engine.datasets import make_dataset


def _config(name, classes=2, **kw):
    return DataConfig(dataset=name, classes=classes, **kw)


@pytest.mark.parametrize("name", DATASETS)
def test_shapes_labels_and_split(name):
    classes = 3 if name in ("spiral", "blobs") else 2
    ds = make_dataset(_config(name, classes, points=500, train_ratio=0.7))
    assert ds.x_train.shape == (350, 2) and ds.x_test.shape == (150, 2)
    assert ds.y_train.dtype == np.int64
    labels = np.concatenate([ds.y_train, ds.y_test])
    assert set(np.unique(labels)) == set(range(classes))
    # classes in near-equal shares
    counts = np.bincount(labels, minlength=classes)
    assert counts.max() - counts.min() <= 1
    x1min, x1max, x2min, x2max = ds.extent
    points = np.concatenate([ds.x_train, ds.x_test])
    assert x1min < points[:, 0].min() and points[:, 0].max() < x1max
    assert x2min < points[:, 1].min() and points[:, 1].max() < x2max


@pytest.mark.parametrize("name", DATASETS)
def test_same_seed_same_points_other_seed_other_points(name):
    a = make_dataset(_config(name, seed=3))
    b = make_dataset(_config(name, seed=3))
    c = make_dataset(_config(name, seed=4))
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.x_train, c.x_train)


@pytest.mark.parametrize("classes", [2, 3, 4, 5, 6])
def test_spiral_and_blobs_take_k_classes(classes):
    for name in ("spiral", "blobs"):
        ds = make_dataset(_config(name, classes, points=120))
        assert ds.classes == classes
        assert set(np.unique(np.concatenate([ds.y_train, ds.y_test]))) == set(range(classes))


def test_noise_spreads_the_points():
    clean = make_dataset(_config("circle", noise=0.0, points=400))
    inner = np.linalg.norm(clean.x_train[clean.y_train == 0], axis=1)
    outer = np.linalg.norm(clean.x_train[clean.y_train == 1], axis=1)
    assert inner.max() <= 2.5 < 3.5 <= outer.min()
    noisy = make_dataset(_config("circle", noise=0.5, points=400))
    inner_noisy = np.linalg.norm(noisy.x_train[noisy.y_train == 0], axis=1)
    assert inner_noisy.max() > 3.0


def test_max_points():
    ds = make_dataset(_config("moons", points=2000, train_ratio=0.9))
    assert ds.size == 2000 and len(ds.y_train) == 1800
