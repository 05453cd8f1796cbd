"""The .proto reconstruction is wire-compatible, and the committed stubs match the .proto files."""

import importlib
from pathlib import Path

from google.protobuf import descriptor_pool

from serving.protos.generate import PROTO_ROOT, STUBS, generate, proto_files
from serving.stubs import POOL

# The TensorFlow wheel ships the compiled descriptors of TensorFlow's own protos: the reference.
TENSORFLOW_MODULES = (
    "tensorflow.core.framework.tensor_pb2",
    "tensorflow.core.protobuf.meta_graph_pb2",
    "tensorflow.core.protobuf.error_codes_pb2",
    "tensorflow.core.example.example_pb2",
)
# Fields left out on purpose (each .proto header says so).
TRIMMED = {"tensorflow.TensorInfo": {"composite_tensor"}}


def _import_all_stubs() -> None:
    for name in proto_files():
        importlib.import_module("serving.stubs." + name.removesuffix(".proto").replace("/", ".") + "_pb2")


def _messages(container):
    for message in container.message_types_by_name.values() if hasattr(container, "message_types_by_name") else []:
        yield message
        yield from _nested(message)


def _nested(message):
    for nested in message.nested_types:
        if not nested.GetOptions().map_entry:
            yield nested
            yield from _nested(nested)


def _enums(file):
    yield from file.enum_types_by_name.values()
    for message in _messages(file):
        yield from message.enum_types


def _field(field) -> tuple:
    return (
        field.number,
        field.type,
        field.is_repeated,
        field.message_type.full_name if field.message_type else None,
        field.enum_type.full_name if field.enum_type else None,
        field.containing_oneof.name if field.containing_oneof else None,
    )


def test_tensorflow_protos_match_the_tensorflow_wheel():
    _import_all_stubs()
    for module in TENSORFLOW_MODULES:
        importlib.import_module(module)
    reference = descriptor_pool.Default()
    ours = [POOL.FindFileByName(name) for name in proto_files() if name.startswith("tensorflow/")]
    compared = 0
    for file in ours:
        for message in _messages(file):
            theirs = reference.FindMessageTypeByName(message.full_name)
            their_fields = {field.name: _field(field) for field in theirs.fields}
            our_fields = {field.name: _field(field) for field in message.fields}
            assert our_fields == {name: their_fields[name] for name in our_fields}, message.full_name
            assert set(their_fields) - set(our_fields) == TRIMMED.get(message.full_name, set()), message.full_name
            compared += 1
        for enum in _enums(file):
            theirs = reference.FindEnumTypeByName(enum.full_name)
            assert {v.name: v.number for v in enum.values} == {v.name: v.number for v in theirs.values}
            compared += 1
    assert compared >= 20


def test_committed_stubs_are_generated_from_the_protos(tmp_path):
    generate(tmp_path)
    fresh = {p.relative_to(tmp_path) for p in tmp_path.rglob("*.py")}
    committed = {p.relative_to(STUBS) for p in STUBS.rglob("*.py")} - {Path("__init__.py")}
    assert fresh == committed
    for path in fresh:
        assert (tmp_path / path).read_text() == (STUBS / path).read_text(), path


def test_every_proto_has_a_license_header_and_source():
    for name in proto_files():
        head = (PROTO_ROOT / name).read_text()[:1200]
        assert "Licensed under the Apache License, Version 2.0" in head, name
        assert f" {name}" in head, name  # "Source: <upstream repository> <same path>"
