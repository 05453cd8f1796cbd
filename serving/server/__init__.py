"""A local stand-in for tensorflow_model_server: TF Serving's gRPC API over TF Serving's model layout.

Production runs the real tensorflow/serving image; machines that cannot run it start this one
(`python -m serving.server ...`, same flag names). It imports TensorFlow, so the portal must
never import it.
"""
