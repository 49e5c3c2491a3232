"""A file storage that really runs out of space half-way through a file, as a full disk does."""

import errno
import os

from django.core.files.storage import FileSystemStorage


class DiskFullStorage(FileSystemStorage):
    """Writes the first half of a file to disk, then fails as the kernel does on a full disk."""

    def _save(self, name, content):
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = b"".join(content.chunks())
        with open(path, "wb") as fragment:
            fragment.write(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)


def disk_full(settings, media_root) -> None:
    """Uploads stored under ``media_root`` by a storage whose disk is full."""
    settings.MEDIA_ROOT = str(media_root)
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "tests.storages.DiskFullStorage"}}


def files_under(root) -> list[str]:
    return [os.path.join(folder, name) for folder, _dirs, names in os.walk(root) for name in names]
