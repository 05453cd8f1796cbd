"""Python stubs generated from serving/protos by serving/protos/generate.py.

The generated modules register their descriptors in POOL, a private descriptor pool, instead
of protobuf's default pool: the same .proto file names (tensorflow/core/framework/tensor.proto,
...) are registered by the real `tensorflow` package with different contents, and two
registrations of one file name in one pool fail. A private pool lets a process import both
(the local server, tests).
"""

from google.protobuf import any_pb2, descriptor_pool, wrappers_pb2

POOL = descriptor_pool.DescriptorPool()
for _well_known in (any_pb2, wrappers_pb2):
    POOL.AddSerializedFile(_well_known.DESCRIPTOR.serialized_pb)
