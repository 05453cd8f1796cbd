"""One X-ray through the model: preprocess, call the model server, read the answer.

The model's contract (see DESIGN.md) carries everything needed to interpret the result:
class probabilities, the operating threshold, the out-of-distribution score and cut-off,
the heatmap, the severity scores, and the model version that produced them.
"""

import time
from dataclasses import dataclass, replace
from functools import cache

import numpy as np
from django.conf import settings
from django.db import models

from portal.observability.metrics import record_model_call, record_prediction
from preprocess import PreparedImage
from serving.client import ModelClient, ModelServerError

CLASS_NAMES = ("normal", "pneumonia", "covid")
# Cohen et al. 2020's scores and their standard deviations; model versions before 2 do not give them.
SEVERITY_OUTPUTS = ("severity_extent", "severity_extent_sd", "severity_opacity", "severity_opacity_sd")


class Reading(models.TextChoices):
    """The model's answer in words; an image that is not a chest X-ray gets no score."""

    COVID_PATTERN = "covid_pattern", "Resembles COVID-19 pneumonia"
    NO_COVID_PATTERN = "no_covid_pattern", "Does not resemble COVID-19 pneumonia"
    NOT_A_CHEST_XRAY = "not_a_chest_xray", "Does not look like a frontal chest X-ray"


def model_client() -> ModelClient:
    """The client for the configured model server: one (and one gRPC channel) per process."""
    return _client(settings.MODEL_SERVER, settings.MODEL_NAME, settings.MODEL_VERSION, settings.MODEL_TIMEOUT)


@cache
def _client(target, model_name, version, timeout):
    return ModelClient(target, model_name=model_name, version=version, timeout=timeout)


@dataclass(frozen=True)
class Analysis:
    probabilities: dict[str, float]
    p_covid: float
    threshold: float
    ood_score: float
    ood_threshold: float
    heatmap: np.ndarray | None
    model_name: str
    model_version: int
    # Geographic extent (0-8) and opacity (0-6) with their SDs: None unless the reading is COVID-19-like.
    severity_extent: float | None = None
    severity_extent_sd: float | None = None
    severity_opacity: float | None = None
    severity_opacity_sd: float | None = None

    @property
    def reading(self) -> Reading:
        if self.ood_score > self.ood_threshold:
            return Reading.NOT_A_CHEST_XRAY
        return Reading.COVID_PATTERN if self.p_covid >= self.threshold else Reading.NO_COVID_PATTERN


def analyse(image: PreparedImage, *, explain: bool = True) -> Analysis:
    """Raises serving.client.ModelServerError when the model server cannot answer."""
    signature = "explain" if explain else "serving_default"
    started = time.perf_counter()
    try:
        prediction = model_client().predict(image.array[np.newaxis], signature=signature)
    except ModelServerError as error:
        record_model_call(signature, error.code.name, time.perf_counter() - started)
        raise
    record_model_call(signature, "OK", time.perf_counter() - started)
    out = prediction.outputs
    analysis = Analysis(
        probabilities={name: float(p) for name, p in zip(CLASS_NAMES, out["probabilities"][0], strict=True)},
        p_covid=float(out["p_covid"][0]),
        threshold=float(out["threshold"][0]),
        ood_score=float(out["ood_score"][0]),
        ood_threshold=float(out["ood_threshold"][0]),
        heatmap=out["heatmap"][0] if explain else None,
        model_name=prediction.model_name,
        model_version=prediction.model_version,
    )
    if analysis.reading == Reading.COVID_PATTERN:  # learnt from COVID-19 pneumonia only: elsewhere it means nothing
        analysis = replace(analysis, **{name: float(out[name][0]) for name in SEVERITY_OUTPUTS if name in out})
    record_prediction(analysis.reading.value, analysis.model_version)
    return analysis
