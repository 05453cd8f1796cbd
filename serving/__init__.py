"""Model serving: TF Serving's gRPC contract, a local model server and the portal's lean client.

Only `serving.server` imports TensorFlow; everything the portal imports stays on grpc,
protobuf and numpy.
"""
