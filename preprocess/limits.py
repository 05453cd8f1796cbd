"""Size limits shared by every decoder, checked from the header before any pixel is decoded."""

from .rejection import Rejection

MAX_PIXELS = 50_000_000
MIN_SIDE = 128
# The data set's widest image is 1.72:1; a chest film is never near 2.5:1, strips and collages are.
MAX_ASPECT = 2.5


def check_geometry(width: int, height: int) -> None:
    """Refuse images too big to decode safely, too small to read, or too elongated to be a chest film."""
    if width * height > MAX_PIXELS:
        raise Rejection("too_many_pixels", f"{width}x{height} pixels, limit {MAX_PIXELS}")
    if min(width, height) < MIN_SIDE:
        raise Rejection("too_small", f"{width}x{height} pixels, shorter side under {MIN_SIDE}")
    if max(width, height) / min(width, height) > MAX_ASPECT:
        raise Rejection("aspect_ratio", f"{width}x{height} pixels, ratio over {MAX_ASPECT}")
