"""Checks of a Predict request against a SignatureDef, answered with TF Serving's status codes.

TF Serving rejects mismatched input names, dtypes and shapes with INVALID_ARGUMENT; the
messages follow its wording where it has one. Messages name tensors, never their values.
"""

from collections.abc import Iterable, Mapping

import grpc
import numpy as np

from serving.server.errors import ServingError
from serving.stubs.tensorflow.core.framework import tensor_pb2, types_pb2
from serving.stubs.tensorflow.core.protobuf import meta_graph_pb2
from serving.tensors import TensorConversionError, shape_of, to_ndarray


def tf_type_name(datatype: int) -> str:
    """TensorFlow's short name for a DataType: DT_FLOAT -> 'float'."""
    return types_pb2.DataType.Name(datatype).removeprefix("DT_").lower()


def _invalid(message: str) -> ServingError:
    return ServingError(grpc.StatusCode.INVALID_ARGUMENT, message)


def _names(names: Iterable[str]) -> str:
    return ",".join(sorted(names))


def check_inputs(
    signature: meta_graph_pb2.SignatureDef, inputs: Mapping[str, tensor_pb2.TensorProto]
) -> dict[str, np.ndarray]:
    """Decode the request's tensors once they match the signature's names, dtypes and shapes."""
    sent, expected = set(inputs), set(signature.inputs)
    if sent != expected:
        raise _invalid(
            f"input size does not match signature: {len(sent)}!={len(expected)} "
            f"len({{{_names(sent)}}}) != len({{{_names(expected)}}}). "
            f"Sent extra: {{{_names(sent - expected)}}}. Missing but required: {{{_names(expected - sent)}}}."
        )
    arrays = {}
    for position, alias in enumerate(sorted(inputs)):
        tensor, info = inputs[alias], signature.inputs[alias]
        if tensor.dtype != info.dtype:
            raise _invalid(
                f"Expects arg[{position}] to be {tf_type_name(info.dtype)} but {tf_type_name(tensor.dtype)} is provided"
            )
        try:
            shape = shape_of(tensor)
            if not _compatible(shape, info.tensor_shape):
                expected_dims = [dim.size for dim in info.tensor_shape.dim]
                raise _invalid(f"input '{alias}' has shape {list(shape)} but the signature expects {expected_dims}")
            arrays[alias] = to_ndarray(tensor)
        except TensorConversionError as error:
            raise _invalid(f"input '{alias}': {error}") from None
    return arrays


def _compatible(shape: tuple[int, ...], expected) -> bool:
    if expected.unknown_rank:
        return True
    dims = [dim.size for dim in expected.dim]
    return len(dims) == len(shape) and all(want < 0 or want == got for want, got in zip(dims, shape, strict=True))


def check_output_filter(signature: meta_graph_pb2.SignatureDef, output_filter: Iterable[str]) -> list[str]:
    """The output aliases to return: the filter if it names known outputs, else all of them."""
    wanted = list(output_filter)
    for alias in wanted:
        if alias not in signature.outputs:
            raise _invalid(
                f"output tensor alias not found in signature: {alias} "
                f"Outputs expected to be in the set {{{_names(signature.outputs)}}}."
            )
    if len(set(wanted)) != len(wanted):
        raise _invalid("duplicate output tensor alias in output_filter")
    return wanted or sorted(signature.outputs)
