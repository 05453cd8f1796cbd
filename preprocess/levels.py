"""Grey-level arithmetic shared by the decoders, matching how the data set's 8-bit JPEGs were made."""

import numpy as np


def stretch(values: np.ndarray) -> np.ndarray:
    """Scale samples to [0, 1] by their own min and max; a flat image becomes all zeros."""
    values = values.astype(np.float64)
    low, high = values.min(), values.max()
    if high <= low:
        return np.zeros(values.shape)
    return (values - low) / (high - low)


def to_uint8(unit: np.ndarray) -> np.ndarray:
    """[0, 1] floats to 0..255, rounded."""
    return np.rint(np.clip(unit, 0.0, 1.0) * 255.0).astype(np.uint8)


def on_black(values: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Composite 8-bit values on black: value * alpha / 255, rounded."""
    return ((values.astype(np.uint16) * alpha + 127) // 255).astype(np.uint8)
