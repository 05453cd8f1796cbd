"""Uploads kept between the upload and its result or saved case (see pending.py)."""

from django.db import models


class PendingUploadPart(models.Model):
    """One piece of a kept upload: small uploads (every X-ray JPEG) are one piece, so keeping one is a single
    insert; the pieces stay under MongoDB's 16 MB document limit for the largest DICOM allowed."""

    token = models.CharField(max_length=64)
    part = models.PositiveSmallIntegerField()
    data = models.BinaryField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "part"], name="one_piece_per_position")]
