"""Images for the pages and for a saved case: the X-ray as decoded, and the heatmap.

The heatmap stays at the model's resolution; the browser stretches it over the X-ray,
so no image is resized outside preprocess. It is kept and sent as 8-bit grey levels (what a
saved case stores); the page colours it with an SVG filter (screening/heatmap_filter.html),
so no request spends time colouring and re-encoding it.
"""

import base64
import io

import numpy as np
from PIL import Image

# zlib level 1: several times faster than Pillow's default (6) on a 320 px X-ray, for files
# about a fifth larger. A saved case's X-ray is stored losslessly with it.
PNG_COMPRESS_LEVEL = 1
# The result page's preview of the X-ray: visually lossless, and about ten times faster to
# make than the PNG, on the upload's critical path.
PREVIEW_JPEG_QUALITY = 95


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def data_uri(image_bytes: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64," + base64.b64encode(image_bytes).decode("ascii")


def xray_png(display: np.ndarray) -> bytes:
    return png(Image.fromarray(display, mode="L"))


def xray_preview_uri(display: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(display, mode="L").save(buffer, format="JPEG", quality=PREVIEW_JPEG_QUALITY)
    return data_uri(buffer.getvalue(), "image/jpeg")


def heatmap_levels(heatmap: np.ndarray) -> np.ndarray:
    """The model's heatmap (floats in [0, 1]) as 256 grey levels."""
    return np.round(np.clip(heatmap, 0.0, 1.0) * 255.0).astype(np.uint8)


def heatmap_png(heatmap: np.ndarray) -> bytes:
    """The heatmap as a saved case stores it and the pages and the API send it: a grey PNG of its levels."""
    return png(Image.fromarray(heatmap_levels(heatmap), mode="L"))
