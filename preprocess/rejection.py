"""The one error type `prepare` raises for input it refuses, with a stable code and a plain reason."""

REASONS = {
    "empty": "The file is empty. Please choose a chest X-ray image to upload.",
    "too_large_file": "This file is too large. Please upload a smaller copy of the chest X-ray.",
    "not_an_image": "This file is not an image we can read. Please upload a PNG, JPEG or DICOM chest X-ray.",
    "corrupt": (
        "This image file is damaged or incomplete, so we cannot read it. "
        "Please save or download the X-ray again and upload the new file."
    ),
    "too_many_pixels": (
        "This image has too many pixels for us to process safely. Please upload a smaller copy of the X-ray."
    ),
    "too_small": "This image is too small to assess. Please upload an X-ray at least 128 pixels wide and high.",
    "aspect_ratio": (
        "This image is far too long and thin to be a chest X-ray. Please upload the whole chest X-ray on its own."
    ),
    "colour_photo": "This looks like a colour photograph, not an X-ray. Please upload the chest X-ray image itself.",
    "multiframe": "This DICOM file holds several images. Please upload a file with a single frontal chest X-ray.",
    "unsupported_dicom": (
        "This DICOM file is stored in a way we cannot read. "
        "Please export the X-ray as PNG, JPEG or uncompressed DICOM and upload that."
    ),
}


class Rejection(Exception):
    """Input refused: `code` is for programs, `reason` for the person who uploaded, `detail` for logs."""

    def __init__(self, code: str, detail: str = "", *, reason: str | None = None):
        if code not in REASONS:
            raise ValueError(f"unknown rejection code {code!r}")
        self.code = code
        self.reason = reason or REASONS[code]
        self.detail = detail
        super().__init__(code, detail)

    def __str__(self) -> str:
        return self.reason

    def __reduce__(self):
        """Pickle by code, detail and reason, so a rejection crosses process pools intact."""
        return (type(self), (self.code, self.detail), {"reason": self.reason})
