"""PNG data URIs for the result page: the X-ray as decoded, and the heatmap coloured.

The heatmap stays at the model's resolution; the browser stretches it over the X-ray,
so no image is resized outside preprocess.
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


def png_data_uri(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def xray_uri(display: np.ndarray) -> str:
    return png_data_uri(Image.fromarray(display, mode="L"))


def heatmap_uri(heatmap: np.ndarray) -> str:
    """Colour by intensity; alpha grows with it, so cold regions leave the X-ray visible."""
    levels = np.clip(heatmap * 255.0, 0, 255).astype(np.uint8)
    rgba = np.dstack([_LUT[levels], (levels.astype(np.float32) * 0.9).astype(np.uint8)])
    return png_data_uri(Image.fromarray(rgba, mode="RGBA"))
