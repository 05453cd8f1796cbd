"""A saved case's images for a page: the X-ray and the heatmap's grey levels, as stored in GridFS."""

import logging

from portal.screening.analysis import Reading
from portal.screening.images import data_uri

logger = logging.getLogger(__name__)


def case_image_uris(case):
    """`xray_uri` and, when the model read a chest X-ray, `heatmap_uri`, as data URIs; an empty dict
    when a file is missing, so that the page still opens and says so."""
    try:
        uris = {"xray_uri": data_uri(case.display.read())}
        if case.prediction is not None and case.prediction.reading != Reading.NOT_A_CHEST_XRAY:
            uris["heatmap_uri"] = data_uri(case.prediction.heatmap.read())
    except FileNotFoundError:
        logger.warning("case image missing in GridFS")
        return {}
    return uris
