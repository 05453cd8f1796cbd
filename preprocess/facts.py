"""What decoding learned about an upload, kept small enough to store with a case."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ImageFacts:
    """Facts about the source image (sizes after EXIF orientation, before any resize)."""

    format: str  # "PNG" | "JPEG" | "DICOM"
    width: int
    height: int
    bits_stored: int  # bits per grey sample in the source: 8 or 16 for most files, 1 for bilevel PNG
    was_colour: bool  # the source had colour channels (accepted only when they were nearly equal)
    photometric: str | None = None  # DICOM Photometric Interpretation
    modality: str | None = None  # DICOM Modality (e.g. "CR", "DX", "CT"); the model's OOD guard judges the content
    transfer_syntax: str | None = None  # DICOM Transfer Syntax UID
