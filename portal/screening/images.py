"""PNG images for the pages and for a saved case: the X-ray as decoded, and the heatmap.

The heatmap stays at the model's resolution; the browser stretches it over the X-ray,
so no image is resized outside preprocess. It is kept as 8-bit grey levels (what a saved
case stores) and coloured only when shown.
"""

import base64
import io

import numpy as np
from PIL import Image

# A short perceptual ramp (dark blue, cyan, yellow, red) interpolated to 256 levels.
_RAMP = np.array([[0, 0, 130], [0, 160, 220], [250, 220, 0], [220, 20, 20]], dtype=np.float32)
_LUT = np.stack(
    [np.interp(np.linspace(0, len(_RAMP) - 1, 256), np.arange(len(_RAMP)), _RAMP[:, c]) for c in range(3)],
    axis=1,
).astype(np.uint8)


# zlib level 1: several times faster than Pillow's default (6) on a 320 px X-ray, for files
# about a fifth larger. These PNGs are made on every result page, on the request's critical path.
PNG_COMPRESS_LEVEL = 1


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def data_uri(png_bytes: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes).decode("ascii")


def xray_png(display: np.ndarray) -> bytes:
    return png(Image.fromarray(display, mode="L"))


def heatmap_levels(heatmap: np.ndarray) -> np.ndarray:
    """The model's heatmap (floats in [0, 1]) as 256 grey levels."""
    return np.round(np.clip(heatmap, 0.0, 1.0) * 255.0).astype(np.uint8)


def heatmap_levels_png(levels: np.ndarray) -> bytes:
    return png(Image.fromarray(levels, mode="L"))


def read_levels(png_bytes: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png_bytes)).convert("L"))


def coloured_heatmap_png(levels: np.ndarray) -> bytes:
    """Colour by intensity; alpha grows with it, so cold regions leave the X-ray visible."""
    rgba = np.dstack([_LUT[levels], (levels.astype(np.float32) * 0.9).astype(np.uint8)])
    return png(Image.fromarray(rgba, mode="RGBA"))
