"""Which versions of each configured model are served, found by polling the base paths.

Follows TF Serving's file-system source: integer-named directories under base_path are
versions; the model_version_policy (latest N, the default latest 1; specific; all) picks the
ones to serve; new ones are loaded without a restart, and a superseded version is unloaded
only once a wanted version is AVAILABLE (TF Serving's availability-preserving policy). A
version whose directory disappears is unloaded. A failed load is retried on later polls, up
to MAX_LOAD_ATTEMPTS, and otherwise reported by GetModelStatus as END with its error.

Lookups answer with TF Serving's codes and messages (NOT_FOUND "Servable not found for
request: Latest(name)"), except that a model or version that is still loading answers
UNAVAILABLE, which clients treat as "retry soon".
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import grpc

from serving.server.errors import ServingError, status_code
from serving.stubs.tensorflow_serving.apis import get_model_status_pb2, model_pb2
from serving.stubs.tensorflow_serving.config import model_server_config_pb2

log = logging.getLogger(__name__)

State = get_model_status_pb2.ModelVersionStatus.State
MAX_LOAD_ATTEMPTS = 5


def versions_on_disk(base_path: Path) -> set[int]:
    """Versions present under base_path: its integer-named subdirectories."""
    if not base_path.is_dir():
        return set()
    return {int(child.name) for child in base_path.iterdir() if child.name.isdigit() and child.is_dir()}


def aspired_versions(policy, on_disk: set[int]) -> set[int]:
    """The versions a ServableVersionPolicy asks to serve, among those on disk."""
    choice = policy.WhichOneof("policy_choice")
    if choice == "all":
        return set(on_disk)
    if choice == "specific":
        return on_disk & set(policy.specific.versions)
    count = policy.latest.num_versions if choice == "latest" else 0
    return set(sorted(on_disk)[-(count or 1) :])


@dataclass
class _Entry:
    version: int
    state: int = State.START
    servable: object = None
    error: ServingError | None = None
    attempts: int = 0


class VersionStatus(NamedTuple):
    version: int
    state: int
    error: ServingError | None


class ModelManager:
    """Tracks and serves the versions of the configured models; `load` builds a servable."""

    def __init__(self, models: list[model_server_config_pb2.ModelConfig], load: Callable[[str, int, Path], object]):
        self._models = {model.name: model for model in models}
        self._entries: dict[str, dict[int, _Entry]] = {name: {} for name in self._models}
        self._load = load
        self._lock = threading.Lock()
        self._empty: set[str] = set()  # models whose base path had no versions at the last poll

    def poll(self) -> None:
        """Bring every model's loaded versions in line with its directory and policy."""
        for model in self._models.values():
            self._reconcile(model)

    def poll_until(self, interval_s: float, stop: threading.Event) -> None:
        """Poll every interval_s seconds until `stop` is set (run in a thread)."""
        while not stop.wait(interval_s):
            try:
                self.poll()
            except Exception:
                log.exception("polling the model base paths failed")

    def close(self) -> None:
        for name, entries in self._entries.items():
            for entry in list(entries.values()):
                if entry.state == State.AVAILABLE:
                    self._unload(name, entry)

    def servable(self, spec: model_pb2.ModelSpec):
        """The AVAILABLE servable a request's ModelSpec asks for (latest if no version)."""
        with self._lock:
            version = self._requested_version(spec)
            request = f"Latest({spec.name})" if version is None else f"Specific({spec.name}, {version})"
            entries = self._entries.get(spec.name)
            if entries is None:
                raise ServingError(grpc.StatusCode.NOT_FOUND, f"Servable not found for request: {request}")
            if version is None:
                candidates = [entry for entry in entries.values() if entry.state == State.AVAILABLE]
                if candidates:
                    return max(candidates, key=lambda entry: entry.version).servable
                loading = [entry for entry in entries.values() if entry.state in (State.START, State.LOADING)]
            else:
                entry = entries.get(version)
                if entry is not None and entry.state == State.AVAILABLE:
                    return entry.servable
                loading = [entry] if entry is not None and entry.state in (State.START, State.LOADING) else []
            if loading:
                raise ServingError(grpc.StatusCode.UNAVAILABLE, f"Servable is still loading: {request}")
            raise ServingError(grpc.StatusCode.NOT_FOUND, f"Servable not found for request: {request}")

    def statuses(self, name: str, version: int | None = None) -> list[VersionStatus]:
        """Every version of a model the server has seen (or the one asked for), as GetModelStatus reports."""
        with self._lock:
            entries = self._entries.get(name) or {}
            if version is None:
                chosen = sorted(entries.values(), key=lambda entry: entry.version)
                if not chosen:
                    raise ServingError(grpc.StatusCode.NOT_FOUND, f"Could not find any versions of model {name}")
            else:
                if version not in entries:
                    raise ServingError(grpc.StatusCode.NOT_FOUND, f"Could not find version {version} of model {name}")
                chosen = [entries[version]]
            return [VersionStatus(entry.version, entry.state, entry.error) for entry in chosen]

    def _requested_version(self, spec: model_pb2.ModelSpec) -> int | None:
        choice = spec.WhichOneof("version_choice")
        if choice == "version":
            return spec.version.value
        if choice == "version_label":
            labels = self._models[spec.name].version_labels if spec.name in self._models else {}
            if spec.version_label not in labels:
                raise ServingError(
                    grpc.StatusCode.INVALID_ARGUMENT, f"Unrecognized servable version label: {spec.version_label}"
                )
            return labels[spec.version_label]
        return None

    def _reconcile(self, model: model_server_config_pb2.ModelConfig) -> None:
        on_disk = versions_on_disk(Path(model.base_path))
        if not on_disk and model.name not in self._empty:
            log.warning("No versions of model %s found under base path %s", model.name, model.base_path)
        self._empty = (self._empty | {model.name}) if not on_disk else (self._empty - {model.name})
        aspired = aspired_versions(model.model_version_policy, on_disk)
        with self._lock:
            entries = self._entries[model.name]
            for version in aspired - entries.keys():
                entries[version] = _Entry(version)
            for entry in entries.values():
                if entry.version not in on_disk:
                    entry.attempts = 0  # a directory that comes back gets fresh attempts
            to_load = [
                entries[version]
                for version in sorted(aspired)
                if entries[version].state in (State.START, State.END) and entries[version].attempts < MAX_LOAD_ATTEMPTS
            ]
        for entry in to_load:
            self._load_version(model, entry)
        with self._lock:
            served = [entry for entry in entries.values() if entry.state == State.AVAILABLE]
        wanted_available = any(entry.version in aspired for entry in served)
        for entry in served:
            if entry.version not in aspired and (wanted_available or entry.version not in on_disk):
                self._unload(model.name, entry)

    def _load_version(self, model: model_server_config_pb2.ModelConfig, entry: _Entry) -> None:
        with self._lock:
            entry.state, entry.error = State.LOADING, None
            entry.attempts += 1
        started = time.monotonic()
        try:
            servable = self._load(model.name, entry.version, Path(model.base_path) / str(entry.version))
        except Exception as error:
            log.error("Loading model %s version %d failed: %s", model.name, entry.version, error)
            code = status_code(getattr(error, "error_code", grpc.StatusCode.UNKNOWN.value[0]))
            with self._lock:
                entry.state, entry.error = State.END, ServingError(code, str(error))
            return
        with self._lock:
            entry.state, entry.servable = State.AVAILABLE, servable
        log.info("Model %s version %d AVAILABLE (%.1f s)", model.name, entry.version, time.monotonic() - started)

    def _unload(self, name: str, entry: _Entry) -> None:
        with self._lock:
            entry.state, servable, entry.servable = State.UNLOADING, entry.servable, None
        servable.close()  # requests already holding it finish normally
        with self._lock:
            entry.state = State.END
        log.info("Model %s version %d unloaded", name, entry.version)
