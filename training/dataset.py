"""The data set folder (`manifest.csv` + images) read through `preprocess.prepare`, the one image pipeline."""

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from preprocess import ImageFacts, prepare
from training.model import CLASSES

# Manifest labels folded into the three model classes: "other" lung findings go with pneumonia.
LABEL_TO_CLASS = {"normal": 0, "pneumonia": 1, "other": 1, "covid": CLASSES.index("covid")}
MIXED_SOURCES = ("ieee8023", "actmed", "fig1")


@dataclass
class Split:
    """Prepared images of one split, kept in memory (1,488 images x 64 KB is small)."""

    rows: list[dict]
    images: np.ndarray  # float32 [n, 128, 128, 1], exactly prepare(...).array
    facts: list[ImageFacts]

    @property
    def files(self) -> list[str]:
        return [r["file"] for r in self.rows]

    @property
    def classes(self) -> np.ndarray:
        return np.array([LABEL_TO_CLASS[r["label"]] for r in self.rows], dtype=np.int64)

    @property
    def is_covid(self) -> np.ndarray:
        return np.array([r["binary"] == "covid" for r in self.rows], dtype=np.int64)

    @property
    def sources(self) -> np.ndarray:
        return np.array([r["source"] for r in self.rows])


def read_manifest(data_dir: Path) -> list[dict]:
    with open(Path(data_dir) / "manifest.csv", newline="") as f:
        return list(csv.DictReader(f))


def load(data_dir: Path, rows: list[dict]) -> Split:
    """Prepare every listed image; a data set image that preprocess rejects is a data error, so it raises."""
    prepared = [prepare((Path(data_dir) / r["file"]).read_bytes()) for r in rows]
    images = np.stack([p.array for p in prepared]) if prepared else np.zeros((0, 128, 128, 1), np.float32)
    return Split(rows, images, [p.facts for p in prepared])


def load_split(data_dir: Path, split: str | None) -> Split:
    """Rows of one split (None: every row of the manifest)."""
    rows = read_manifest(data_dir)
    return load(data_dir, [r for r in rows if split is None or r.get("split") == split])
