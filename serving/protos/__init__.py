"""TF Serving and TensorFlow .proto files (wire contract) and the script that compiles them."""
