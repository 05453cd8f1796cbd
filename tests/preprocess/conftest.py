"""Real test inputs for preprocess: sample X-rays and files built from them (PNG, JPEG, DICOM)."""

import io

import numpy as np
import pytest
from PIL import Image
from pydicom import dcmwrite
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

from devtools.sample_xrays import COVID_LIKE_XRAY, SAMPLE_XRAYS

XRAY = COVID_LIKE_XRAY  # 320 x 300: not square, so rotations show
CR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.1"


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    """The bytes Pillow writes for `image` in format `fmt`."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _dicom_bytes(pixels: np.ndarray, **attributes) -> bytes:
    """A DICOM Part 10 file (CR, explicit VR little endian) holding grey `pixels`; `attributes` override."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CR_IMAGE_STORAGE
    meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.10.1.1"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = CR_IMAGE_STORAGE
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "CR"
    ds.Rows, ds.Columns = pixels.shape[-2:]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = pixels.dtype.itemsize * 8
    ds.BitsStored = ds.BitsAllocated
    ds.HighBit = ds.BitsAllocated - 1
    ds.PixelRepresentation = 0
    ds.PixelData = pixels.astype(pixels.dtype.newbyteorder("<")).tobytes()
    for name, value in attributes.items():
        setattr(ds, name, value)
    buffer = io.BytesIO()
    dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def fixture_files() -> list[bytes]:
    """The four sample X-rays (2 Hannover, 2 NIH), as bytes."""
    return [path.read_bytes() for path in SAMPLE_XRAYS]


@pytest.fixture(scope="session")
def xray_bytes() -> bytes:
    return XRAY.read_bytes()


@pytest.fixture(scope="session")
def xray_grey() -> np.ndarray:
    with Image.open(XRAY) as image:
        return np.asarray(image)


@pytest.fixture(scope="session")
def xray_12bit(xray_grey) -> np.ndarray:
    """The sample X-ray as 12-bit stored values in uint16, as a CR/DX detector would write them."""
    return xray_grey.astype(np.uint16) * 16


@pytest.fixture(scope="session")
def encode():
    return _encode


@pytest.fixture(scope="session")
def make_dicom():
    return _dicom_bytes
