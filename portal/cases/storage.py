"""A Django storage backend on MongoDB GridFS, so a case's files live in the same database as the case.

Files are found by name (GridFS ``filename``) in one bucket of the default connection's database,
so tests use their test database. There are no public URLs: views read a file and decide who sees it.
"""

from contextlib import suppress

import gridfs
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import connection
from django.utils.deconstruct import deconstructible


@deconstructible
class GridFSStorage(Storage):
    def __init__(self, bucket="fs"):
        self.bucket = bucket

    def _gridfs(self):
        return gridfs.GridFSBucket(connection.database, bucket_name=self.bucket)

    def entries(self):
        """The bucket's file documents (name, length, upload date), for queries the Storage API has no word for."""
        return connection.database[f"{self.bucket}.files"]

    def delete_ids(self, ids):
        """Delete files by GridFS id; one already gone (another request deleted it first) is no error."""
        gridfs_bucket = self._gridfs()
        for file_id in ids:
            with suppress(gridfs.errors.NoFile):
                gridfs_bucket.delete(file_id)

    def _open(self, name, mode="rb"):
        if mode != "rb":
            raise ValueError("GridFS files are written once, through save(); open them with mode 'rb'.")
        try:
            stream = self._gridfs().open_download_stream_by_name(name)
        except gridfs.errors.NoFile:
            raise FileNotFoundError(name) from None
        return ContentFile(stream.read(), name=name)

    def _save(self, name, content):
        content.seek(0)
        self._gridfs().upload_from_stream(name, content)
        return name

    def exists(self, name):
        return self.entries().count_documents({"filename": name}, limit=1) > 0

    def delete(self, name):
        self.delete_ids([entry["_id"] for entry in self.entries().find({"filename": name}, {"_id": 1})])

    def size(self, name):
        entry = self.entries().find_one({"filename": name}, {"length": 1})
        if entry is None:
            raise FileNotFoundError(name)
        return entry["length"]
