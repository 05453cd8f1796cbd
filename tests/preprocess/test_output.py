"""The contract's output: shape, dtype, range, display copy, facts, determinism, thread safety."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image

from preprocess import DEFAULT_MAX_BYTES, INPUT_SIZE, ImageFacts, PreparedImage, prepare


def test_contract_constants():
    assert INPUT_SIZE == 128
    assert DEFAULT_MAX_BYTES == 20 * 1024 * 1024


def test_jpeg_xray_becomes_model_input(xray_bytes, xray_grey):
    prepared = prepare(xray_bytes)
    assert isinstance(prepared, PreparedImage)
    assert prepared.array.shape == (INPUT_SIZE, INPUT_SIZE, 1)
    assert prepared.array.dtype == np.float32
    assert 0.0 <= prepared.array.min() and prepared.array.max() <= 1.0
    assert abs(prepared.array.mean() - xray_grey.mean() / 255) < 0.01  # no normalisation
    # 8-bit grey input is shown unchanged: no stretch, no resize below 1024 px.
    assert prepared.display.dtype == np.uint8
    np.testing.assert_array_equal(prepared.display, xray_grey)
    assert prepared.facts == ImageFacts(format="JPEG", width=320, height=300, bits_stored=8, was_colour=False)


def test_model_input_is_the_whole_image_squashed_with_lanczos(xray_bytes, xray_grey):
    expected = Image.fromarray(xray_grey).resize((128, 128), Image.Resampling.LANCZOS)
    expected = np.asarray(expected, np.float32)[..., None] / 255
    np.testing.assert_array_equal(prepare(xray_bytes).array, expected)


def test_display_copy_is_capped_at_1024_px(encode, xray_grey):
    big = Image.fromarray(xray_grey).resize((2400, 2250), Image.Resampling.BICUBIC)
    prepared = prepare(encode(big, "PNG"))
    assert prepared.display.shape == (960, 1024)
    assert (prepared.facts.width, prepared.facts.height) == (2400, 2250)
    assert prepared.array.shape == (128, 128, 1)


def test_outputs_are_read_only(xray_bytes):
    prepared = prepare(xray_bytes)
    assert not prepared.array.flags.writeable
    assert not prepared.display.flags.writeable


def test_deterministic_and_thread_safe(fixture_files):
    files = fixture_files
    sequential = [prepare(data).array for data in files]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(lambda data: prepare(data).array, files * 6))
    for index, array in enumerate(threaded):
        np.testing.assert_array_equal(array, sequential[index % len(files)])
    assert not np.array_equal(sequential[0], sequential[1])
