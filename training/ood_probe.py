"""Run real images that are not chest X-rays through preprocess and the SavedModel's OOD guard.

    python -m training.ood_probe [--model serving/models/densenet]

Each image must be either refused by `preprocess` (a typed Rejection) or flagged by the model
(ood_score > ood_threshold). The images ship with the installed packages: pydicom's CT and MR test
files and scikit-image's grayscale sample pictures, encoded as PNG.
"""

import argparse
import io
from pathlib import Path

import numpy as np
import pydicom.data
import skimage.data
from PIL import Image

from preprocess import Rejection, prepare
from training.evaluate import run_model, version_dir

DICOM_FILES = ("CT_small.dcm", "MR_small.dcm")
PICTURES = ("camera", "moon", "coins", "page", "text", "clock", "horse", "brick", "grass")


def _png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return buffer.getvalue()


def non_chest_images() -> dict[str, bytes]:
    """Name -> file bytes, as an upload would bring them."""
    images = {name: Path(pydicom.data.get_testdata_file(name)).read_bytes() for name in DICOM_FILES}
    images.update({f"skimage.{name}.png": _png(getattr(skimage.data, name)()) for name in PICTURES})
    return images


def verdicts(model: Path) -> dict[str, str]:
    """Name -> 'rejected: <code>' or 'flagged'/'PASSED' with the score, for every probe image."""
    images = non_chest_images()
    prepared, result = {}, dict.fromkeys(images, "")
    for name, data in images.items():
        try:
            prepared[name] = prepare(data).array
        except Rejection as rejection:
            result[name] = f"rejected by preprocess: {rejection.code}"
    outputs = run_model(version_dir(model), np.stack(list(prepared.values())))
    for name, score, cut in zip(prepared, outputs["ood_score"], outputs["ood_threshold"], strict=True):
        result[name] = f"{'flagged' if score > cut else 'PASSED'} (ood_score {score:.1f}, cut-off {cut:.1f})"
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("serving/models/densenet"))
    args = parser.parse_args(argv)
    for name, verdict in verdicts(args.model).items():
        print(f"{name:24} {verdict}")


if __name__ == "__main__":
    main()
