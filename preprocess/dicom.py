"""Decode a single-frame DICOM to 8-bit grey: Modality LUT, VOI LUT or window, stretch, MONOCHROME1 inverted."""

import io

import numpy as np
import pydicom
from pydicom.pixels import apply_modality_lut, apply_voi_lut

from .colour import rgb_to_grey
from .facts import ImageFacts
from .levels import stretch, to_uint8
from .limits import check_geometry
from .rejection import Rejection

_GREY = ("MONOCHROME1", "MONOCHROME2")
_COLOUR = ("RGB", "YBR_FULL", "YBR_FULL_422", "YBR_RCT", "YBR_ICT")


def is_dicom(data: bytes) -> bool:
    """DICOM Part 10 files carry 'DICM' after a 128-byte preamble."""
    return data[128:132] == b"DICM"


def decode_dicom(data: bytes) -> tuple[np.ndarray, ImageFacts]:
    """Check the header (frames, size, photometric) before decoding, then window and stretch."""
    try:
        ds = pydicom.dcmread(io.BytesIO(data))
    except Exception as error:  # any parser failure on untrusted bytes
        raise Rejection("corrupt", f"DICOM header: {error}") from error
    if "PixelData" not in ds:
        raise Rejection("not_an_image", "DICOM without pixel data")
    try:
        frames = int(ds.get("NumberOfFrames") or 1)
        rows, columns = int(ds.Rows), int(ds.Columns)
        bits = int(ds.get("BitsStored") or ds.get("BitsAllocated") or 8)
    except (AttributeError, TypeError, ValueError) as error:
        raise Rejection("corrupt", f"DICOM header: {error}") from error
    if frames > 1:
        raise Rejection("multiframe", f"{frames} frames")
    check_geometry(columns, rows)
    photometric = str(ds.get("PhotometricInterpretation", "")).strip()
    if photometric not in _GREY + _COLOUR:
        raise Rejection("unsupported_dicom", f"photometric interpretation {photometric!r}")
    colour = photometric in _COLOUR
    syntax = ds.file_meta.get("TransferSyntaxUID")
    try:
        pixels = ds.pixel_array  # colour arrives as RGB: pydicom converts YBR by default
        values = pixels if colour else apply_voi_lut(apply_modality_lut(pixels, ds), ds)
    except Exception as error:
        # A compressed syntax may lack a decoder here (JPEG Lossless, JPEG-LS, 12-bit JPEG);
        # native pixels fail only when the file is damaged (short data, bad attributes or LUTs).
        code = "unsupported_dicom" if syntax is not None and syntax.is_compressed else "corrupt"
        raise Rejection(code, f"DICOM pixels ({syntax}): {error}") from error
    if values.shape != ((rows, columns, 3) if colour else (rows, columns)):
        raise Rejection("corrupt", f"DICOM pixels shaped {values.shape} for {photometric}")
    if colour:
        grey = rgb_to_grey(values if values.dtype == np.uint8 else to_uint8(stretch(values)))
    else:
        unit = stretch(values)
        grey = to_uint8(1.0 - unit if photometric == "MONOCHROME1" else unit)
    facts = ImageFacts(
        format="DICOM",
        width=columns,
        height=rows,
        bits_stored=bits,
        was_colour=colour,
        photometric=photometric,
        modality=str(ds.get("Modality") or "") or None,
        transfer_syntax=str(syntax) if syntax else None,
    )
    return grey, facts
