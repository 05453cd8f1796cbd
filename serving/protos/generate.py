"""Regenerate serving/stubs from the .proto files in serving/protos.

Run: .venv/bin/python -m serving.protos.generate

Generated modules live under serving.stubs (e.g. serving.stubs.tensorflow_serving.apis.predict_pb2)
so they can never shadow the real `tensorflow` package; their imports are rewritten to that
prefix and their descriptors go into serving.stubs.POOL (see serving/stubs/__init__.py).
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import grpc_tools

PROTO_ROOT = Path(__file__).resolve().parent
STUBS = PROTO_ROOT.parent / "stubs"
PREFIX = "serving.stubs"
GENERATED_TOPS = ("tensorflow", "tensorflow_serving")

_IMPORT = re.compile(r"^from (tensorflow(?:_serving)?(?:\.\w+)*) import ", re.MULTILINE)
_POOL = "DESCRIPTOR = _descriptor_pool.Default().AddSerializedFile("
_MODULE_NAME = re.compile(r"BuildTopDescriptorsAndMessages\(DESCRIPTOR, '")


def proto_files() -> list[str]:
    """Every .proto under PROTO_ROOT, relative to it (the import paths protoc sees)."""
    return sorted(p.relative_to(PROTO_ROOT).as_posix() for p in PROTO_ROOT.rglob("*.proto"))


def rewrite(source: str) -> str:
    """Point a generated module at serving.stubs and at the private descriptor pool."""
    source = _IMPORT.sub(rf"from {PREFIX}.\1 import ", source)
    source = _MODULE_NAME.sub(rf"\g<0>{PREFIX}.", source)
    if _POOL in source:
        source = source.replace(
            "from google.protobuf.internal import builder as _builder\n",
            "from google.protobuf.internal import builder as _builder\n"
            f"from {PREFIX} import POOL as _POOL\n",
        ).replace(_POOL, "DESCRIPTOR = _POOL.AddSerializedFile(")
    return source


def generate(out: Path) -> None:
    """Compile every .proto into `out` (a serving/stubs-shaped directory)."""
    for top in GENERATED_TOPS:
        shutil.rmtree(out / top, ignore_errors=True)
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    # protoc runs in its own process: in one that has loaded TensorFlow's protobuf library it crashes.
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO_ROOT}", f"-I{well_known}",
         f"--python_out={out}", f"--grpc_python_out={out}", *proto_files()],
        check=True,
    )  # fmt: skip
    for path in sorted(out.rglob("*.py")):
        if path.name.endswith("_pb2_grpc.py") and "class " not in path.read_text():
            path.unlink()  # no service in that .proto: the module would hold only a version check
            continue
        path.write_text(rewrite(path.read_text()))
    for top in GENERATED_TOPS:
        for package in [out / top, *(p for p in (out / top).rglob("*") if p.is_dir())]:
            (package / "__init__.py").touch()


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else STUBS)
