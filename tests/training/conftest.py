"""Shared paths and the committed SavedModel for the training tests (no training happens in tests)."""

from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from devtools.sample_xrays import SAMPLE_XRAYS
from preprocess import prepare
from training.evaluate import version_dir

REPO = Path(__file__).resolve().parents[2]
MODEL_BASE = REPO / "serving" / "models" / "densenet"


@pytest.fixture(scope="module")
def saved_model():
    """The committed model as TF Serving would load it, once per test module."""
    return tf.saved_model.load(str(version_dir(MODEL_BASE)))


@pytest.fixture(scope="session")
def fixture_batch() -> np.ndarray:
    """The four sample X-rays through preprocess, stacked: a real batch of 4."""
    return np.stack([prepare(path.read_bytes()).array for path in SAMPLE_XRAYS])
