"""A Django storage backend on MongoDB GridFS, so a case's files live in the same database as the case.

Files are found by name (GridFS ``filename``) in one bucket of the default connection's database,
so tests use their test database. There are no public URLs: views read a file and decide who sees it.
"""

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

    def _files(self):
        return connection.database[f"{self.bucket}.files"]

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
        return self._files().count_documents({"filename": name}, limit=1) > 0

    def delete(self, name):
        gridfs_bucket = self._gridfs()
        for entry in self._files().find({"filename": name}, {"_id": 1}):
            gridfs_bucket.delete(entry["_id"])

    def size(self, name):
        entry = self._files().find_one({"filename": name}, {"length": 1})
        if entry is None:
            raise FileNotFoundError(name)
        return entry["length"]
