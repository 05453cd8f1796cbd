"""numpy arrays <-> tensorflow.TensorProto without TensorFlow (for the client and the server).

Arrays are sent packed in `tensor_content` (little-endian, row-major), which is what
tf.make_tensor_proto does for numeric arrays and the cheapest form to encode and decode.
Decoding also accepts the typed repeated fields (float_val, ...) that other clients and TF
Serving itself may use, including TensorFlow's rule that a short value list is padded with
its last value.
"""

import math

import numpy as np

from serving.stubs.tensorflow.core.framework import tensor_pb2, types_pb2

_DTYPES = {
    types_pb2.DT_FLOAT: np.dtype("<f4"),
    types_pb2.DT_DOUBLE: np.dtype("<f8"),
    types_pb2.DT_HALF: np.dtype("<f2"),
    types_pb2.DT_INT8: np.dtype("i1"),
    types_pb2.DT_INT16: np.dtype("<i2"),
    types_pb2.DT_INT32: np.dtype("<i4"),
    types_pb2.DT_INT64: np.dtype("<i8"),
    types_pb2.DT_UINT8: np.dtype("u1"),
    types_pb2.DT_UINT16: np.dtype("<u2"),
    types_pb2.DT_UINT32: np.dtype("<u4"),
    types_pb2.DT_UINT64: np.dtype("<u8"),
    types_pb2.DT_BOOL: np.dtype("?"),
}
_NATIVE = {datatype: dtype.newbyteorder("=") for datatype, dtype in _DTYPES.items()}
_DATATYPES = {dtype: datatype for datatype, dtype in _NATIVE.items()}

# Where each dtype's values live when they are not in tensor_content.
_VALUE_FIELDS = {
    types_pb2.DT_FLOAT: "float_val",
    types_pb2.DT_DOUBLE: "double_val",
    types_pb2.DT_HALF: "half_val",
    types_pb2.DT_INT8: "int_val",
    types_pb2.DT_INT16: "int_val",
    types_pb2.DT_INT32: "int_val",
    types_pb2.DT_INT64: "int64_val",
    types_pb2.DT_UINT8: "int_val",
    types_pb2.DT_UINT16: "int_val",
    types_pb2.DT_UINT32: "uint32_val",
    types_pb2.DT_UINT64: "uint64_val",
    types_pb2.DT_BOOL: "bool_val",
}


class TensorConversionError(ValueError):
    """A TensorProto that cannot become an array, or an array that cannot become one."""


def dtype_name(datatype: int) -> str:
    """'float32' for DT_FLOAT; the enum name (e.g. 'DT_STRING') for types numpy lacks here."""
    dtype = _DTYPES.get(datatype)
    return dtype.name if dtype is not None else types_pb2.DataType.Name(datatype)


def datatype_of(dtype: np.dtype) -> int:
    """The DataType enum value for a numpy dtype."""
    try:
        return _DATATYPES[np.dtype(dtype).newbyteorder("=")]
    except KeyError:
        raise TensorConversionError(f"unsupported dtype {np.dtype(dtype)}") from None


def to_tensor_proto(array: np.ndarray) -> tensor_pb2.TensorProto:
    """Encode an array with its dtype and shape, values packed in tensor_content."""
    array = np.asarray(array)
    datatype = datatype_of(array.dtype)
    proto = tensor_pb2.TensorProto(dtype=datatype)
    for n in array.shape:
        proto.tensor_shape.dim.add(size=n)
    proto.tensor_content = np.ascontiguousarray(array, dtype=_DTYPES[datatype]).tobytes()
    return proto


def shape_of(proto: tensor_pb2.TensorProto) -> tuple[int, ...]:
    """The shape a TensorProto declares."""
    if proto.tensor_shape.unknown_rank:
        raise TensorConversionError("a tensor with data must have a known rank")
    shape = tuple(dim.size for dim in proto.tensor_shape.dim)
    if any(n < 0 for n in shape):
        raise TensorConversionError(f"a tensor with data must have a fully known shape, got {list(shape)}")
    return shape


def to_ndarray(proto: tensor_pb2.TensorProto) -> np.ndarray:
    """Decode a TensorProto into a native-endian array of its dtype and shape."""
    dtype = _DTYPES.get(proto.dtype)
    if dtype is None:
        raise TensorConversionError(f"unsupported dtype {dtype_name(proto.dtype)}")
    shape = shape_of(proto)
    size = math.prod(shape)
    content = proto.tensor_content  # read once: each read of a bytes field makes a new copy
    if content:
        if len(content) != size * dtype.itemsize:
            raise TensorConversionError(
                f"tensor_content holds {len(content)} bytes, "
                f"shape {list(shape)} of {dtype.name} needs {size * dtype.itemsize}"
            )
        flat = np.frombuffer(content, dtype=dtype)
    else:
        flat = _typed_values(proto, dtype, size)
    return flat.astype(_NATIVE[proto.dtype], copy=False).reshape(shape)


def _typed_values(proto: tensor_pb2.TensorProto, dtype: np.dtype, size: int) -> np.ndarray:
    values = getattr(proto, _VALUE_FIELDS[proto.dtype])
    if proto.dtype == types_pb2.DT_HALF:
        flat = np.array(values, dtype=np.uint16).view(np.float16)
    else:
        flat = np.array(values, dtype=dtype)
    if len(flat) > size:
        raise TensorConversionError(f"{len(flat)} values for a tensor of {size} elements")
    if len(flat) < size:
        fill = flat[-1] if len(flat) else np.zeros((), dtype=flat.dtype)
        flat = np.concatenate([flat, np.full(size - len(flat), fill, dtype=flat.dtype)])
    return flat
