"""The OOD guard: the Mahalanobis arithmetic, and real non-chest images refused or flagged by the committed model."""

import numpy as np
from scipy.spatial.distance import mahalanobis

from tests.training.conftest import MODEL_BASE
from training.ood import Mahalanobis, cut_off
from training.ood_probe import verdicts


def test_distance_matches_scipy_with_the_shrunk_covariance():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 5)) @ rng.normal(size=(5, 5))
    guard = Mahalanobis.fit(features)
    precision = guard.whiten.astype(np.float64) @ guard.whiten.T.astype(np.float64)
    expected = [mahalanobis(f, guard.mean, precision) for f in features[:10]]
    np.testing.assert_allclose(guard.distance(features[:10]), expected, rtol=1e-5)


def test_cut_off_lets_through_all_but_the_top_half_percent():
    distances = np.arange(1000, dtype=np.float64)
    assert np.sum(distances > cut_off(distances, 99.5)) == 5


def test_non_chest_images_are_refused_or_flagged():
    result = verdicts(MODEL_BASE)
    assert set(result) >= {
        "CT_small.dcm",
        "MR_small.dcm",
        "skimage.camera.png",
        "skimage.moon.png",
        "skimage.coins.png",
        "skimage.page.png",
        "skimage.text.png",
    }
    passed = {name: verdict for name, verdict in result.items() if not verdict.startswith(("rejected", "flagged"))}
    assert passed == {}
