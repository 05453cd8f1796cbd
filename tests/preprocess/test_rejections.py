"""Every rejection code, each provoked by a real file, with a reason a patient can read."""

import io
import pickle
import zlib

import numpy as np
import pytest
import skimage.data
from PIL import Image

from preprocess import DEFAULT_MAX_BYTES, Rejection, prepare
from preprocess.rejection import REASONS

CONTRACT_CODES = {
    "empty",
    "too_large_file",
    "not_an_image",
    "corrupt",
    "too_many_pixels",
    "too_small",
    "aspect_ratio",
    "colour_photo",
    "multiframe",
    "unsupported_dicom",
}


def rejection(data: bytes, **options) -> Rejection:
    with pytest.raises(Rejection) as caught:
        prepare(data, **options)
    return caught.value


def test_codes_are_the_contract_and_reasons_are_plain_sentences():
    assert set(REASONS) == CONTRACT_CODES
    for code, reason in REASONS.items():
        assert Rejection(code).reason == reason
        assert reason.endswith(".") and "_" not in reason and len(reason) < 160
    with pytest.raises(ValueError):
        Rejection("no_such_code")


def test_rejection_survives_pickling():
    original = Rejection("too_large_file", "30 bytes, limit 20", reason="Too big for this test.")
    copy = pickle.loads(pickle.dumps(original))
    assert (copy.code, copy.detail, copy.reason, str(copy)) == (
        "too_large_file",
        "30 bytes, limit 20",
        "Too big for this test.",
        "Too big for this test.",
    )


def test_empty_file():
    assert rejection(b"").code == "empty"


def test_file_over_the_limit_is_refused_before_decoding(xray_bytes):
    refused = rejection(xray_bytes, max_bytes=len(xray_bytes) - 1)
    assert refused.code == "too_large_file"
    oversized = rejection(b"\0" * (DEFAULT_MAX_BYTES + 1))  # not an image, but too big first
    assert oversized.code == "too_large_file"
    assert "20 MB" in oversized.reason
    assert prepare(xray_bytes, max_bytes=len(xray_bytes)).array.shape == (128, 128, 1)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda xray, encode: encode(xray, "PDF"), id="pdf"),
        pytest.param(lambda xray, encode: encode(xray, "GIF"), id="gif"),
        pytest.param(lambda xray, encode: b"Chest X-ray report: no acute findings.\n", id="text"),
    ],
)
def test_not_an_image(make, xray_grey, encode):
    refused = rejection(make(Image.fromarray(xray_grey), encode))
    assert refused.code == "not_an_image"
    assert "PNG, JPEG or DICOM" in refused.reason


def test_truncated_jpeg_is_corrupt(xray_bytes):
    assert rejection(xray_bytes[: len(xray_bytes) // 2]).code == "corrupt"


def test_truncated_png_is_corrupt(xray_grey, encode):
    png = encode(Image.fromarray(xray_grey), "PNG")
    assert rejection(png[: len(png) * 2 // 3]).code == "corrupt"


# As in production, where importing preprocess makes Pillow's warning band an error
# (pytest resets warning filters per test, so restate it here).
@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
def test_10000_by_10000_png_is_refused_from_its_header(encode):
    bomb = encode(Image.new("L", (10_000, 10_000)), "PNG")
    assert len(bomb) < 200_000  # a small file that would decode to 100 megapixels
    refused = rejection(bomb)
    assert refused.code == "too_many_pixels"


def test_pillow_bomb_error_band_is_refused():
    """A real PNG of 12000 x 12000 pixels (over twice Pillow's limit), streamed so it costs little to build."""
    width = height = 12_000
    row = b"\0" + b"\0" * (width // 8)  # filter byte + one bit per pixel
    stream = zlib.compressobj(9)
    idat = b"".join(stream.compress(row) for _ in range(height)) + stream.flush()
    png = io.BytesIO()
    png.write(b"\x89PNG\r\n\x1a\n")
    for kind, body in (
        (b"IHDR", width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([1, 0, 0, 0, 0])),
        (b"IDAT", idat),
        (b"IEND", b""),
    ):
        png.write(len(body).to_bytes(4, "big") + kind + body)
        png.write(zlib.crc32(kind + body).to_bytes(4, "big"))
    assert rejection(png.getvalue()).code == "too_many_pixels"


@pytest.mark.parametrize("size", [(120, 200), (200, 127)])
def test_too_small(size, xray_grey, encode):
    small = Image.fromarray(xray_grey).resize(size, Image.Resampling.LANCZOS)
    assert rejection(encode(small, "PNG")).code == "too_small"


def test_smallest_accepted_size(xray_grey, encode):
    small = Image.fromarray(xray_grey).resize((128, 160), Image.Resampling.LANCZOS)
    assert prepare(encode(small, "PNG")).facts.width == 128


def test_extreme_aspect_ratio(xray_grey, encode):
    xray = Image.fromarray(xray_grey)
    strip = xray.resize((800, 300), Image.Resampling.LANCZOS)  # 2.67 : 1
    assert rejection(encode(strip, "PNG")).code == "aspect_ratio"
    wide = xray.resize((700, 300), Image.Resampling.LANCZOS)  # 2.33 : 1 passes
    assert prepare(encode(wide, "PNG")).facts.width == 700


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea"])
def test_colour_photograph(name, encode):
    photo = Image.fromarray(getattr(skimage.data, name)())
    refused = rejection(encode(photo, "JPEG", quality=90))
    assert refused.code == "colour_photo"
    assert "photograph" in refused.reason


def test_multiframe_dicom(make_dicom, xray_12bit):
    frames = np.stack([xray_12bit, xray_12bit[::-1]])
    refused = rejection(make_dicom(frames, NumberOfFrames=2, BitsStored=12, HighBit=11))
    assert refused.code == "multiframe"


def test_dicom_with_no_available_decoder(make_dicom, xray_12bit):
    from pydicom.encaps import encapsulate
    from pydicom.pixels import get_decoder
    from pydicom.uid import JPEGLSLossless

    if get_decoder(JPEGLSLossless).is_available:
        pytest.skip("a JPEG-LS plugin is installed here")
    data = make_dicom(xray_12bit, BitsStored=12, HighBit=11)
    import pydicom

    ds = pydicom.dcmread(io.BytesIO(data))
    ds.file_meta.TransferSyntaxUID = JPEGLSLossless
    ds.PixelData = encapsulate([b"\xff\xd8\xff\xf7" + bytes(64) + b"\xff\xd9"])
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    assert rejection(buffer.getvalue()).code == "unsupported_dicom"


def test_palette_colour_dicom_is_unsupported():
    from pydicom.data import get_testdata_file

    data = open(get_testdata_file("examples_palette.dcm"), "rb").read()
    assert rejection(data).code == "unsupported_dicom"


def test_dicom_size_is_checked_from_the_header(make_dicom):
    """10000 x 10000 declared with a few bytes of pixel data: refused as a bomb, not as corrupt."""
    data = make_dicom(np.zeros((2, 2), np.uint16), Rows=10_000, Columns=10_000)
    assert rejection(data).code == "too_many_pixels"


def test_dicom_with_short_pixel_data_is_corrupt(make_dicom, xray_12bit):
    data = make_dicom(xray_12bit[:150], Rows=300, Columns=320, BitsStored=12, HighBit=11)
    assert rejection(data).code == "corrupt"
