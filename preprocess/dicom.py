"""Decode a single-frame DICOM to 8-bit grey: Modality LUT, VOI LUT or window, stretch, MONOCHROME1 inverted."""

import io
from dataclasses import dataclass

import numpy as np
import pydicom
from pydicom.pixels import apply_modality_lut, apply_voi_lut
from pydicom.uid import UID

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
        header = _read_header(ds)
    except Rejection:
        raise
    except Exception as error:  # any parser failure on untrusted bytes
        raise Rejection("corrupt", f"DICOM header: {error}") from error
    if header.frames > 1:
        raise Rejection("multiframe", f"{header.frames} frames")
    check_geometry(header.columns, header.rows)
    photometric = header.photometric
    if photometric not in _GREY + _COLOUR:
        raise Rejection("unsupported_dicom", f"photometric interpretation {photometric!r}")
    colour = photometric in _COLOUR
    try:
        pixels = ds.pixel_array  # colour arrives as RGB: pydicom converts YBR by default
        values = pixels if colour else apply_voi_lut(apply_modality_lut(pixels, ds), ds)
    except Exception as error:
        # A compressed syntax may lack a decoder here (JPEG Lossless, JPEG-LS, 12-bit JPEG);
        # native pixels fail only when the file is damaged (short data, bad attributes or LUTs).
        code = "unsupported_dicom" if header.compressed else "corrupt"
        raise Rejection(code, f"DICOM pixels ({header.syntax}): {error}") from error
    if values.shape != ((header.rows, header.columns, 3) if colour else (header.rows, header.columns)):
        raise Rejection("corrupt", f"DICOM pixels shaped {values.shape} for {photometric}")
    if colour:
        grey = rgb_to_grey(values if values.dtype == np.uint8 else to_uint8(stretch(values)))
    else:
        unit = stretch(values)
        grey = to_uint8(1.0 - unit if photometric == "MONOCHROME1" else unit)
    facts = ImageFacts(
        format="DICOM",
        width=header.columns,
        height=header.rows,
        bits_stored=header.bits,
        was_colour=colour,
        photometric=photometric,
        modality=header.modality,
        transfer_syntax=header.syntax,
    )
    return grey, facts


@dataclass(frozen=True)
class _Header:
    frames: int
    rows: int
    columns: int
    bits: int
    photometric: str
    modality: str | None
    syntax: str | None
    compressed: bool


def _read_header(ds) -> _Header:
    """The attributes decode_dicom needs, read in one place: pydicom parses an element when it is first read,
    so a damaged one raises here, with whatever error its parser has (a Rejection when there are no pixels)."""
    if "PixelData" not in ds:
        raise Rejection("not_an_image", "DICOM without pixel data")
    syntax = ds.file_meta.get("TransferSyntaxUID")
    return _Header(
        frames=int(ds.get("NumberOfFrames") or 1),
        rows=int(ds.Rows),
        columns=int(ds.Columns),
        bits=int(ds.get("BitsStored") or ds.get("BitsAllocated") or 8),
        photometric=str(ds.get("PhotometricInterpretation", "")).strip(),
        modality=str(ds.get("Modality") or "") or None,
        syntax=str(syntax) if syntax else None,
        compressed=syntax is not None and _compressed(str(syntax)),
    )


def _compressed(syntax: str) -> bool:
    """Whether pixels in this transfer syntax are encoded, so failing to decode them means no decoder here."""
    try:
        return UID(syntax).is_compressed
    except ValueError:  # not a transfer syntax pydicom knows: none of its decoders reads it either
        return True
