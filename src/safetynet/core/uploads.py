"""Uploaded files (扫描件、照片、材料): checked by content, size and checksum, stored
content-addressed under MEDIA_ROOT. Every app that keeps a file goes through here, so a file
is validated the same way wherever it arrives."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _

from safetynet.core.errors import ValidationFailed

MAX_BYTES = 10 * 1024 * 1024
#: What the content must start with, whatever the client claims it is.
SIGNATURES: dict[str, tuple[bytes, str]] = {
    "application/pdf": (b"%PDF-", "pdf"),
    "image/png": (b"\x89PNG\r\n\x1a\n", "png"),
    "image/jpeg": (b"\xff\xd8\xff", "jpg"),
}


def sniff(head: bytes) -> tuple[str, str] | None:
    for content_type, (magic, ext) in SIGNATURES.items():
        if head.startswith(magic):
            return content_type, ext
    return None


@dataclass(frozen=True)
class StagedUpload:
    """A checked upload waiting beside its final place; :meth:`keep` moves it there."""

    tmp: Path
    sha256: str
    size: int
    content_type: str
    ext: str
    folder: str

    @property
    def relative_path(self) -> str:
        return str(Path(self.folder) / self.sha256[:2] / f"{self.sha256}.{self.ext}")

    def keep(self) -> None:
        final = Path(settings.MEDIA_ROOT) / self.relative_path
        final.parent.mkdir(parents=True, exist_ok=True)
        # Content-addressed: the same file uploaded twice is stored once.
        os.replace(self.tmp, final)

    def discard(self) -> None:
        self.tmp.unlink(missing_ok=True)


def stage_upload(
    stream: BinaryIO, *, folder: str, error: type[ValidationFailed] = ValidationFailed, code_prefix: str = "upload",
    declared_type: str = "", declared_sha256: str = "",
) -> StagedUpload:
    """Copy the upload to a temporary file, hashing as it goes; refuse (``error``) a file that is
    too large, empty, not a PDF/JPG/PNG by its content, or not what the client declared."""
    root = Path(settings.MEDIA_ROOT) / folder
    root.mkdir(parents=True, exist_ok=True)
    digest, size, head = hashlib.sha256(), 0, b""
    fd, tmp = tempfile.mkstemp(dir=root, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(64 * 1024):
                if not head:
                    head = chunk[:16]
                size += len(chunk)
                if size > MAX_BYTES:
                    raise error(_("文件超过10MB"), code=f"{code_prefix}_too_large", limit=MAX_BYTES)
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise error(_("文件为空"), code=f"{code_prefix}_empty")
        sniffed = sniff(head)
        if sniffed is None:
            raise error(_("只接受 PDF、JPG、PNG 文件"), code=f"{code_prefix}_type")
        if declared_type and declared_type != sniffed[0]:
            raise error(
                _("文件内容（%(real)s）与声明的类型（%(decl)s）不符") % {"real": sniffed[0], "decl": declared_type},
                code=f"{code_prefix}_type",
            )
        sha = digest.hexdigest()
        if declared_sha256 and declared_sha256.lower() != sha:
            raise error(_("文件校验值不符，请重新上传"), code=f"{code_prefix}_checksum")
        return StagedUpload(Path(tmp), sha, size, sniffed[0], sniffed[1], folder)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


#: Files one form may carry at once (a visit's photos, an application's materials).
MAX_FILES = 10


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one ``<input type=file multiple>``: a list (empty when none is chosen).
    Each file is still checked by :func:`stage_upload` when it is kept."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ",".join(SIGNATURES)}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("一次最多上传 %(n)d 个文件") % {"n": MAX_FILES})
        if not files:
            super().clean(None, initial)  # "required" still applies
            return []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]
