"""PNG and JPEG details: EXIF orientation, 16-bit PNG, alpha, and RGB screenshots of X-rays."""

import io

import numpy as np
from PIL import Image, ImageDraw

from preprocess import prepare

ORIENTATION = 0x0112


def mean_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())


def test_exif_rotated_jpeg_equals_the_upright_original(xray_bytes, xray_grey, encode):
    """Orientation 6: stored turned 90 degrees anticlockwise, shown after turning it clockwise."""
    stored = Image.fromarray(xray_grey).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    rotated = prepare(encode(stored, "JPEG", quality=95, exif=exif.tobytes()))
    upright = prepare(xray_bytes)
    assert (rotated.facts.width, rotated.facts.height) == (320, 300)
    assert rotated.display.shape == xray_grey.shape
    assert mean_abs(rotated.array, upright.array) < 0.01
    ignored = prepare(encode(stored, "JPEG", quality=95))
    assert mean_abs(ignored.array, upright.array) > 0.05  # the rotation is visible if missed


def test_16bit_png_is_stretched_by_min_and_max(xray_grey, encode):
    wide = xray_grey.astype(np.uint16) * 200 + 1000
    prepared = prepare(encode(Image.fromarray(wide), "PNG"))
    assert prepared.facts.bits_stored == 16
    low, high = int(xray_grey.min()), int(xray_grey.max())
    expected = np.rint((xray_grey.astype(np.float64) - low) / (high - low) * 255).astype(np.uint8)
    np.testing.assert_array_equal(prepared.display, expected)


def test_alpha_is_composited_on_black(xray_grey, encode):
    alpha = np.full(xray_grey.shape, 255, np.uint8)
    alpha[:, :160] = 0
    prepared = prepare(encode(Image.fromarray(np.dstack([xray_grey, alpha]), "LA"), "PNG"))
    assert not prepared.display[:, :160].any()
    np.testing.assert_array_equal(prepared.display[:, 160:], xray_grey[:, 160:])


def test_tinted_rgb_screenshot_with_annotation_is_accepted(xray_bytes, xray_grey, encode):
    tint = np.array([1.0, 0.95, 0.88])
    rgb = Image.fromarray(np.rint(xray_grey[..., None] * tint).astype(np.uint8), "RGB")
    ImageDraw.Draw(rgb).rectangle((40, 40, 120, 90), outline=(255, 40, 40), width=3)
    ImageDraw.Draw(rgb).text((10, 280), "R  PORTABLE AP", fill=(255, 255, 0))
    prepared = prepare(encode(rgb, "JPEG", quality=90))
    assert prepared.facts.was_colour and prepared.facts.format == "JPEG"
    assert mean_abs(prepared.array, prepare(xray_bytes).array) < 0.04


def test_palette_png_of_an_xray_is_accepted(xray_grey, encode):
    palette = Image.fromarray(xray_grey).convert("RGB").quantize(64)
    prepared = prepare(encode(palette, "PNG"))
    assert prepared.facts.format == "PNG"
    assert mean_abs(prepared.display, xray_grey) < 4


def test_multi_picture_jpeg_from_a_phone_is_read_as_jpeg(xray_grey, encode):
    first = Image.fromarray(xray_grey)
    mirrored = first.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    mpo = encode(first, "MPO", save_all=True, append_images=[mirrored])
    with Image.open(io.BytesIO(mpo)) as opened:
        assert opened.format == "MPO"
    prepared = prepare(mpo)
    assert prepared.facts.format == "JPEG"
    assert mean_abs(prepared.display, xray_grey) < 2
