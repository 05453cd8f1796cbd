"""Convert an exported SavedModel version to OpenVINO IR, kept beside it: `<version>/openvino/<signature>.xml+bin`.

    python -m serving.convert serving/models/densenet/2

Only one graph is converted when one signature covers all the others (same inputs, a superset of
their outputs; today `explain`): the server answers every signature from it by picking that
signature's outputs, and the weights are stored once. Otherwise each signature is converted on its
own. The IR is float32 (no fp16 compression). TF Serving ignores files in a version directory
other than the SavedModel's, so the production image can carry the same directory.

Needs TensorFlow and OpenVINO (the training environment), never the portal.
"""

import argparse
import shutil
from pathlib import Path

import numpy as np

from serving.server.openvino_backend import OPENVINO_DIR, covers
from serving.server.servable import read_signature_defs, served_keys
from serving.stubs.tensorflow.core.protobuf import meta_graph_pb2


def graphs_to_convert(defs: dict[str, meta_graph_pb2.SignatureDef]) -> list[str]:
    """One signature that covers every other one if there is such, else all of them."""
    for key in sorted(defs):
        if all(covers(defs[key], defs[other]) for other in defs):
            return [key]
    return sorted(defs)


def _strided_slice_grad(node):
    """StridedSliceGrad (in the Grad-CAM gradient; no OpenVINO rule for it): scatter dy into zeros of
    `shape` at the positions that the same strided slice picks out of an index tensor."""
    import openvino.opset15 as ops

    shape, begin, end, strides, dy = (node.get_input(i) for i in range(5))
    rank = begin.get_partial_shape()[0].get_length()

    def mask(name):
        bits = node.get_attribute(name)
        return [(bits >> axis) & 1 for axis in range(rank)]

    size = ops.convert(ops.reduce_prod(shape, 0, keep_dims=True), "i64")
    one = ops.constant(1, np.int64)
    index = ops.reshape(ops.range(ops.constant(0, np.int64), ops.squeeze(size, 0), one, "i64"), shape, False)
    picked = ops.strided_slice(
        index, begin, end, strides, mask("begin_mask"), mask("end_mask"),
        mask("new_axis_mask"), mask("shrink_axis_mask"), mask("ellipsis_mask"),
    )  # fmt: skip
    zeros = ops.broadcast(ops.constant(0, dy.get_element_type()), size)
    flat = ops.scatter_nd_update(zeros, ops.reshape(picked, [-1, 1], False), ops.reshape(dy, [-1], False))
    return [ops.reshape(flat, shape, False).output(0)]


def convert(version_dir: Path) -> Path:
    """Write `<version_dir>/openvino/` (replacing an earlier one only once the new one is complete)."""
    import openvino as ov
    import tensorflow as tf
    from openvino.frontend.tensorflow import ConversionExtension

    version_dir = Path(version_dir)
    model = tf.saved_model.load(str(version_dir))
    staging = version_dir / f".{OPENVINO_DIR}-staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    extension = ConversionExtension("StridedSliceGrad", _strided_slice_grad)
    defs = read_signature_defs(version_dir).signature_def
    for key in graphs_to_convert({key: defs[key] for key in served_keys(defs)}):
        graph = ov.convert_model(model.signatures[key], extension=[extension])
        ov.save_model(graph, staging / f"{key}.xml", compress_to_fp16=False)
    target = version_dir / OPENVINO_DIR
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m serving.convert", description=__doc__.split("\n")[0])
    parser.add_argument("version_dir", type=Path, help="an exported SavedModel version, e.g. serving/models/densenet/2")
    print(convert(parser.parse_args(argv).version_dir))


if __name__ == "__main__":
    main()
