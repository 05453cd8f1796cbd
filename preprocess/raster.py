"""Decode PNG and JPEG uploads with Pillow into an 8-bit grey array, with Pillow's safety limits set."""

import io
import warnings

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from .colour import rgb_to_grey
from .facts import ImageFacts
from .levels import on_black, stretch, to_uint8
from .limits import MAX_PIXELS, check_geometry
from .rejection import Rejection

# Pillow's own bomb guard, set explicitly (its default is ~89 Mpx), and its warning band
# (MAX_PIXELS..2*MAX_PIXELS) made an error, as Pillow's documentation suggests.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
ImageFile.LOAD_TRUNCATED_IMAGES = False

_FORMATS = ("PNG", "JPEG")  # the JPEG opener also yields MPO (phone cameras' multi-picture JPEG)


def decode_raster(data: bytes) -> tuple[np.ndarray, ImageFacts]:
    """Open, check the header size, fully decode, honour EXIF orientation and make 8-bit grey."""
    try:
        image = Image.open(io.BytesIO(data), formats=_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise Rejection("too_many_pixels", str(error)) from error
    except UnidentifiedImageError as error:
        raise Rejection("not_an_image", "not PNG, JPEG or DICOM") from error
    except Exception as error:  # any other failure of a header parser on untrusted bytes
        raise Rejection("corrupt", f"header: {error}") from error
    with image:
        check_geometry(*image.size)
        try:
            image.load()
            oriented = ImageOps.exif_transpose(image)
        except Exception as error:  # truncated data, bad compressed stream, broken EXIF
            raise Rejection("corrupt", f"pixels: {error}") from error
        grey, bits, was_colour = _to_grey(oriented)
    fmt = "PNG" if image.format == "PNG" else "JPEG"
    height, width = grey.shape
    return grey, ImageFacts(format=fmt, width=width, height=height, bits_stored=bits, was_colour=was_colour)


def _to_grey(image: Image.Image) -> tuple[np.ndarray, int, bool]:
    """8-bit grey pixels, the source's bits per sample, and whether it had colour channels."""
    mode = image.mode
    if mode == "L":
        return np.asarray(image), 8, False
    if mode == "1":
        return np.asarray(image.convert("L")), 1, False
    if mode.startswith("I"):  # 16-bit grey PNG
        return to_uint8(stretch(np.asarray(image))), 16, False
    if mode in ("LA", "La"):
        grey, alpha = np.asarray(image.convert("LA")).transpose(2, 0, 1)
        return on_black(grey, alpha), 8, False
    rgba = np.asarray(image.convert("RGBA"))
    rgb = on_black(rgba[..., :3], rgba[..., 3:])
    return rgb_to_grey(rgb), 8, True
