"""Every image of the development set (train and val) must pass, or training and evaluation break."""

import csv
from pathlib import Path

import numpy as np
import pytest

from preprocess import prepare

DATA = Path(__file__).resolve().parents[3] / "shared" / "cxr"


@pytest.mark.skipif(not (DATA / "manifest.csv").exists(), reason="the shared data set is not here")
def test_every_development_image_is_accepted():
    with open(DATA / "manifest.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["split"] for row in rows} == {"train", "val"}
    arrays = [prepare((DATA / row["file"]).read_bytes()).array for row in rows]
    batch = np.stack(arrays)
    assert batch.shape == (len(rows), 128, 128, 1) and batch.dtype == np.float32
    assert 0.0 <= batch.min() and batch.max() <= 1.0
