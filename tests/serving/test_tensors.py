"""numpy <-> TensorProto conversion, checked against TensorFlow's own conversion."""

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.framework import tensor_pb2 as tensorflow_tensor_pb2

from serving.stubs.tensorflow.core.framework import tensor_pb2, types_pb2
from serving.tensors import TensorConversionError, dtype_name, to_ndarray, to_tensor_proto

DTYPES = "float32 float64 float16 int8 int16 int32 int64 uint8 uint16 uint32 uint64 bool".split()


@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip_and_tensorflow_reads_what_we_write(dtype):
    array = (np.arange(24).reshape(2, 3, 4) % 7).astype(dtype)
    proto = to_tensor_proto(array)
    assert proto.tensor_content  # packed, not typed fields
    np.testing.assert_array_equal(to_ndarray(proto), array)
    theirs = tf.make_ndarray(tensorflow_tensor_pb2.TensorProto.FromString(proto.SerializeToString()))
    assert theirs.dtype == array.dtype
    np.testing.assert_array_equal(theirs, array)


@pytest.mark.parametrize("dtype", DTYPES)
def test_reads_what_tensorflow_writes_in_typed_fields(dtype):
    array = (np.arange(6).reshape(2, 3) % 2).astype(dtype)
    theirs = tf.make_tensor_proto(array.tolist(), dtype=tf.as_dtype(dtype), shape=array.shape)
    proto = tensor_pb2.TensorProto.FromString(theirs.SerializeToString())
    np.testing.assert_array_equal(to_ndarray(proto), array)


def test_short_value_lists_are_padded_with_the_last_value_as_in_tensorflow():
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[1.0, 2.0])
    proto.tensor_shape.dim.add(size=4)
    np.testing.assert_array_equal(to_ndarray(proto), [1.0, 2.0, 2.0, 2.0])
    np.testing.assert_array_equal(
        to_ndarray(proto), tf.make_ndarray(tensorflow_tensor_pb2.TensorProto.FromString(proto.SerializeToString()))
    )


def test_big_endian_arrays_are_sent_little_endian():
    array = np.arange(4, dtype=">f4")
    np.testing.assert_array_equal(to_ndarray(to_tensor_proto(array)), array)
    assert to_tensor_proto(array).tensor_content == np.arange(4, dtype="<f4").tobytes()


@pytest.mark.parametrize(
    "proto",
    [
        tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING),
        tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, tensor_content=b"\0" * 5),
        tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[1.0, 2.0]),
    ],
    ids=["unsupported dtype", "content size", "too many values"],
)
def test_malformed_tensors_are_rejected(proto):
    with pytest.raises(TensorConversionError):
        to_ndarray(proto)


def test_unknown_dimensions_are_rejected_for_data():
    proto = to_tensor_proto(np.zeros((1, 2), np.float32))
    proto.tensor_shape.dim[0].size = -1
    with pytest.raises(TensorConversionError, match="fully known"):
        to_ndarray(proto)


def test_unsupported_numpy_dtype_is_rejected():
    with pytest.raises(TensorConversionError):
        to_tensor_proto(np.array(["a"]))


def test_dtype_names():
    assert dtype_name(types_pb2.DT_FLOAT) == "float32"
    assert dtype_name(types_pb2.DT_STRING) == "DT_STRING"
