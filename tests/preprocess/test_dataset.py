"""Every image of the development set (train and val) must pass, or training and evaluation break."""

import csv

import numpy as np

from devtools.sample_xrays import DATA_DIR
from preprocess import prepare


def test_every_development_image_is_accepted():
    with open(DATA_DIR / "manifest.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["split"] for row in rows} == {"train", "val"}
    arrays = [prepare((DATA_DIR / row["file"]).read_bytes()).array for row in rows]
    batch = np.stack(arrays)
    assert batch.shape == (len(rows), 128, 128, 1) and batch.dtype == np.float32
    assert 0.0 <= batch.min() and batch.max() <= 1.0
