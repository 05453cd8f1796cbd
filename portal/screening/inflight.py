"""The model's reading of an upload, started the moment the upload is accepted.

The upload's form post answers with a redirect to the result page. The model works while the
upload is being kept and the browser follows the redirect; the result page then claims the
answer. When the result page reaches another worker process, or is reloaded, nothing is
waiting for it there and it reads the kept upload and asks the model itself: the same answer,
only later. An answer nobody claims is dropped after a minute.
"""

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

UNCLAIMED_SECONDS = 60
WORKERS = 4

_executor = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="model-call")
_lock = threading.Lock()
_jobs: dict[str, tuple[float, Future]] = {}


def start(token: str, work, *args):
    """Run `work(*args)` in the background; its result (or exception) is claimed with `token`."""
    with _lock:
        _drop_unclaimed()
        _jobs[token] = (time.monotonic(), _executor.submit(work, *args))


def claim(token: str) -> Future | None:
    """The background job for `token`, once; None when this process has none."""
    with _lock:
        entry = _jobs.pop(token, None)
    return None if entry is None else entry[1]


def _drop_unclaimed():
    cutoff = time.monotonic() - UNCLAIMED_SECONDS
    for token in [token for token, (started, _) in _jobs.items() if started < cutoff]:
        del _jobs[token]
