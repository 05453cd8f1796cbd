"""Out-of-distribution guard: Mahalanobis distance of the pooled DenseNet features to the train X-rays."""

from dataclasses import dataclass

import numpy as np
from sklearn.covariance import LedoitWolf


@dataclass(frozen=True)
class Mahalanobis:
    """distance(f) = ||(f - mean) @ whiten||, where whiten @ whiten.T is the inverse shrunk covariance."""

    mean: np.ndarray  # [features]
    whiten: np.ndarray  # [features, features]

    @classmethod
    def fit(cls, features: np.ndarray) -> "Mahalanobis":
        """Ledoit-Wolf shrinkage: with about as many features as train images the raw covariance is singular."""
        estimate = LedoitWolf().fit(np.asarray(features, dtype=np.float64))
        whiten = np.linalg.cholesky(estimate.precision_)
        return cls(estimate.location_.astype(np.float32), whiten.astype(np.float32))

    def distance(self, features: np.ndarray) -> np.ndarray:
        centred = np.asarray(features, dtype=np.float64) - self.mean
        return np.sqrt(np.sum((centred @ self.whiten.astype(np.float64)) ** 2, axis=-1))


def cut_off(val_distances: np.ndarray, percentile: float = 99.5) -> float:
    """The score above which an input is called unlike the training X-rays."""
    return float(np.percentile(val_distances, percentile))
