"""Bytes of an upload to the model's input: the one place where images are decoded, checked and resized."""

from dataclasses import dataclass

import numpy as np
from PIL import Image

from .dicom import decode_dicom, is_dicom
from .facts import ImageFacts
from .raster import decode_raster
from .rejection import Rejection

INPUT_SIZE = 128
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DISPLAY_MAX_SIDE = 1024
# One filter for both the model input and the display copy: Lanczos (a=3), antialiased when
# shrinking, as used to build the data set's JPEGs. No reducing_gap, so the result is exact.
RESAMPLE = Image.Resampling.LANCZOS


@dataclass(frozen=True)
class PreparedImage:
    """The model input (float32, INPUT_SIZE x INPUT_SIZE x 1, in [0, 1]), a uint8 copy to show, and facts."""

    array: np.ndarray
    display: np.ndarray
    facts: ImageFacts


def prepare(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> PreparedImage:
    """Decode PNG, JPEG or DICOM bytes, refuse unusable input with a Rejection, squash to the model's size."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"prepare() takes the file's bytes, not {type(data).__name__}")
    if len(data) == 0:
        raise Rejection("empty")
    if len(data) > max_bytes:
        raise Rejection(
            "too_large_file",
            f"{len(data)} bytes, limit {max_bytes}",
            reason=f"This file is larger than {max_bytes / 2**20:.3g} MB. "
            "Please upload a smaller copy of the chest X-ray.",
        )
    data = bytes(data)
    grey, facts = decode_dicom(data) if is_dicom(data) else decode_raster(data)
    image = Image.fromarray(grey, "L")
    array = np.asarray(image.resize((INPUT_SIZE, INPUT_SIZE), RESAMPLE), dtype=np.float32)
    array = (array / np.float32(255.0))[..., np.newaxis]
    return PreparedImage(array=_frozen(array), display=_frozen(_display(image)), facts=facts)


def _display(image: Image.Image) -> np.ndarray:
    """The decoded grey image, its longer side capped at DISPLAY_MAX_SIDE."""
    scale = DISPLAY_MAX_SIDE / max(image.size)
    if scale < 1:
        image = image.resize(tuple(max(1, round(side * scale)) for side in image.size), RESAMPLE)
    return np.asarray(image)


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.flags.writeable = False
    return array
