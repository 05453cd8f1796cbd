"""Paths, model directories and model configs for the serving tests."""

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COMMITTED_CONFIG = REPO / "serving" / "models.config"
COMMITTED_BASE = REPO / "serving" / "models" / "densenet"
MONITORING_CONFIG = REPO / "serving" / "monitoring.config"


def model_config(base: Path, policies: dict[str, str]) -> str:
    """A ModelServerConfig text with one model per name, at base/<name>, with the given version policy."""
    configs = "".join(
        f'  config {{ name: "{name}" base_path: "{base / name}" model_platform: "tensorflow" '
        f"model_version_policy {{ {policy} }} }}\n"
        for name, policy in policies.items()
    )
    return f"model_config_list {{\n{configs}}}\n"


def add_version(template: Path, base: Path, version: int) -> Path:
    """Copy a SavedModel in as base/<version>, atomically (copy aside, then rename), as exports should."""
    staging = base / f".staging-{version}"
    shutil.copytree(template, staging)
    return staging.rename(base / str(version))
