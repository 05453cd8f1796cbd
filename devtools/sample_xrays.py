"""The data set beside the checkout, and the four real X-rays that tests and benchmarks read from it.

The images are not copied into the project: `../shared/cxr` holds them, with their sources and
licences (Hannover Medical School, CC BY 3.0; NIH ChestX-ray14) in its manifest and README.
"""

from devtools.services import REPO_ROOT

DATA_DIR = REPO_ROOT.parent / "shared" / "cxr"

COVID_LIKE_XRAY = DATA_DIR / "hannover_006f3a8a.jpg"  # 320 x 300; the committed model reads it COVID-19-like
NEGATIVE_XRAY = DATA_DIR / "nih_00000193_019.jpg"  # and this one not
BENCHMARK_XRAY = DATA_DIR / "nih_00000061_012.jpg"
SAMPLE_XRAYS = (COVID_LIKE_XRAY, DATA_DIR / "hannover_00870a9c.jpg", BENCHMARK_XRAY, NEGATIVE_XRAY)
