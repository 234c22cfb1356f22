"""A cap on uploaded bytes (上传大小上限), enforced while the body streams in.

Installed first in ``FILE_UPLOAD_HANDLERS``, before Django's handler that writes uploads to a
temporary file on disk (so no upload is held in memory). A declared ``Content-Length`` over the
cap is refused before a byte is read; a body without one is refused as soon as it passes the cap.
The refusal is a typed error (:class:`FileTooLarge`, HTTP 413), so the API answers in its
error format.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext as _

from safetynet.sources.errors import FileTooLarge

DEFAULT_MAX_BYTES = 1 << 30


def max_upload_bytes() -> int:
    return int(getattr(settings, "SAFETYNET_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def _too_large(size: int | None) -> FileTooLarge:
    cap = max_upload_bytes()
    return FileTooLarge(
        _("上传的文件超过上限 %(m)d 字节（约 %(mb)d MB）；更大的数据请按批拆分，或经交换目录(SFTP)提交")
        % {"m": cap, "mb": cap >> 20},
        max_bytes=cap,
        **({"bytes": size} if size is not None else {}),
    )


class CappedUploadHandler(FileUploadHandler):
    """Refuses a request body over :func:`max_upload_bytes`; passes every chunk on unchanged."""

    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > max_upload_bytes():
            raise _too_large(content_length)

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > max_upload_bytes():
            raise _too_large(None)
        return raw_data

    def file_complete(self, file_size):
        return None
