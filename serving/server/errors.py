"""The one error type the server's layers raise; the gRPC layer turns it into a status."""

import grpc


class ServingError(Exception):
    """A request failure with the gRPC status code TF Serving would answer."""

    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def status_code(value: int) -> grpc.StatusCode:
    """The grpc.StatusCode with a canonical number (TensorFlow's error codes use the same numbers)."""
    for code in grpc.StatusCode:
        if code.value[0] == value:
            return code
    return grpc.StatusCode.UNKNOWN
