"""The GridFS storage backend behind a case's files, through Django's Storage API."""

import gridfs
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def storage(empty_gridfs):
    return storages["cases"]


def test_a_file_is_written_once_and_read_back_from_gridfs(storage):
    data = bytes(range(256)) * 2000  # several GridFS chunks
    name = storage.save("cases/abc/upload.png", ContentFile(data))
    assert name == "cases/abc/upload.png"
    assert storage.exists(name) and storage.size(name) == len(data)
    with storage.open(name) as stored:
        assert stored.read() == data
    raw = gridfs.GridFSBucket(connection.database, bucket_name="case_files")
    assert raw.open_download_stream_by_name(name).read() == data


def test_a_taken_name_gets_another(storage):
    first = storage.save("cases/abc/heatmap.png", ContentFile(b"first"))
    second = storage.save("cases/abc/heatmap.png", ContentFile(b"second"))
    assert first != second and second.startswith("cases/abc/heatmap_")
    assert storage.open(first).read() == b"first" and storage.open(second).read() == b"second"


def test_deleted_or_unknown_files_are_not_found(storage):
    name = storage.save("cases/abc/display.png", ContentFile(b"png"))
    storage.delete(name)
    assert not storage.exists(name)
    with pytest.raises(FileNotFoundError):
        storage.open(name)
    with pytest.raises(FileNotFoundError):
        storage.size("cases/nothing/here.png")
    storage.delete(name)  # deleting twice is harmless, as Django's storages expect


def test_files_are_written_only_through_save(storage):
    name = storage.save("cases/abc/upload.jpg", ContentFile(b"jpeg"))
    with pytest.raises(ValueError, match="written once"):
        storage.open(name, "wb")
