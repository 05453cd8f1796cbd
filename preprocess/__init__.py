"""The single image pipeline shared by training, export checks and the portal (no Django, no TensorFlow)."""

from .facts import ImageFacts
from .pipeline import DEFAULT_MAX_BYTES, INPUT_SIZE, PreparedImage, prepare
from .rejection import Rejection

__all__ = ["DEFAULT_MAX_BYTES", "INPUT_SIZE", "ImageFacts", "PreparedImage", "Rejection", "prepare"]
