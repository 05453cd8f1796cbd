"""Tell a tinted grey image (a screenshot of an X-ray) from a colour photograph, and make it grey."""

import numpy as np
from PIL import Image

from .rejection import Rejection

# A pixel is "coloured" when some channel is more than this many 8-bit levels away from what one
# global tint of its grey level predicts. Tinted, JPEG-compressed X-rays stay under ~5 at the 95th
# percentile; colour photographs (scikit-image astronaut, coffee, chelsea) exceed it on 44-95% of pixels.
COLOUR_LEVELS = 12.0
# Share of coloured pixels above which the image counts as a colour photograph (leaves room for
# a coloured annotation or viewer frame in a screenshot).
COLOUR_SHARE = 0.05
_SAMPLE_SIDE = 512
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def coloured_share(rgb: np.ndarray) -> float:
    """Share of pixels whose colour a single linear tint of the grey level cannot explain."""
    step = max(1, -(-max(rgb.shape[:2]) // _SAMPLE_SIDE))
    pixels = rgb[::step, ::step].reshape(-1, 3).astype(np.float32)
    grey = pixels @ _LUMA
    design = np.stack([grey, np.ones_like(grey)], axis=1)
    coef, *_ = np.linalg.lstsq(design, pixels, rcond=None)
    residual = np.abs(pixels - design @ coef).max(axis=1)
    return float(np.mean(residual > COLOUR_LEVELS))


def rgb_to_grey(rgb: np.ndarray) -> np.ndarray:
    """Refuse colour photographs, else return Pillow's ITU-R 601 luma as uint8 (as the data set was built)."""
    share = coloured_share(rgb)
    if share > COLOUR_SHARE:
        raise Rejection("colour_photo", f"{share:.0%} of pixels coloured")
    return np.asarray(Image.fromarray(rgb, "RGB").convert("L"))
