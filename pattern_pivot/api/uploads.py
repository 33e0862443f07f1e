"""Uploads: a multipart body streamed straight into the media store, never whole in memory.

The body is parsed as it arrives (python-multipart's push parser): the ``file`` part goes to a
temporary file beside its final name, small text fields are kept (bounded), and the upload is
refused as early as its problem shows: a declared length over the limit before any byte is
read, an unknown file signature at the first bytes, a body over the limit as soon as it
passes it. Nothing a client sends becomes a path unchecked: the stored name is rebuilt from
safe characters and goes through the media store's own checks.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.multipart import MultipartParser, parse_options_header

from pattern_pivot.catalog import MEDIA_EXTENSIONS
from pattern_pivot.errors import PatternPivotError

MAX_FIELD_BYTES = 4096  # num_clips, aspect_ratio...: a few characters each
MAX_NAME_CHARS = 100
SNIFF_BYTES = 64


class UploadError(PatternPivotError):
    """An upload the API refuses; ``status`` is the HTTP status that says why."""

    def __init__(self, status: int, subject: str, problem: str, fix: str):
        self.status = status
        super().__init__(subject, problem, fix)


def _is_mp4_family(head: bytes) -> bool:
    return head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip")


# (extensions, test on the first bytes): what each supported container starts with.
_SIGNATURES: tuple[tuple[frozenset[str], object], ...] = (
    (frozenset({".mp4", ".m4v", ".mov", ".m4a", ".aac"}), _is_mp4_family),
    (frozenset({".mkv", ".webm"}), lambda h: h.startswith(b"\x1a\x45\xdf\xa3")),
    (frozenset({".avi"}), lambda h: h[:4] == b"RIFF" and h[8:12] == b"AVI "),
    (frozenset({".wav"}), lambda h: h[:4] in (b"RIFF", b"RF64") and h[8:12] == b"WAVE"),
    (frozenset({".mpg", ".mpeg"}), lambda h: h[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")
     or h[:1] == b"G"),  # program stream, or a transport stream's sync byte
    (frozenset({".mp3"}), lambda h: h[:3] == b"ID3" or (len(h) > 1 and h[0] == 0xFF
                                                         and h[1] & 0xE0 == 0xE0)),
    (frozenset({".aac"}), lambda h: len(h) > 1 and h[0] == 0xFF and h[1] & 0xF6 == 0xF0),
    (frozenset({".ogg", ".opus"}), lambda h: h[:4] == b"OggS"),
    (frozenset({".flac"}), lambda h: h[:4] == b"fLaC"),
)


def signature_matches(suffix: str, head: bytes) -> bool:
    """Whether the first bytes are a container the extension promises."""
    return any(suffix in exts and test(head) for exts, test in _SIGNATURES)


def safe_file_name(client_name: str) -> str:
    """A stored name built from the client's: its last path component only, letters, digits,
    ``._-`` (others become ``_``), no leading dot, bounded length, a supported extension.
    Raises UploadError when no supported extension is left."""
    base = re.split(r"[\\/]", client_name or "")[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base)
    stem, dot, suffix = base.rpartition(".")
    suffix = (dot + suffix).lower() if dot else ""
    shown = (client_name or "(none)")[:80].encode("unicode_escape").decode("ascii")
    if suffix not in MEDIA_EXTENSIONS:
        raise UploadError(415, f"upload file name {shown!r}",
                          f"has no supported extension ({suffix or 'none'})",
                          "send a video or audio file named "
                          + ", ".join(f"*{e}" for e in sorted(MEDIA_EXTENSIONS)))
    stem = re.sub(r"\.+", ".", stem).strip("._-")[:MAX_NAME_CHARS] or "upload"
    return stem + suffix


@dataclass
class ReceivedUpload:
    path: Path  # where the file part now lives (renamed into place)
    name: str  # the stored, safe name
    size: int
    fields: dict[str, str] = field(default_factory=dict)


class _Receiver:
    """python-multipart callbacks: headers per part, the file part to disk, fields in memory."""

    def __init__(self, target_dir: Path, max_bytes: int, file_field: str):
        self.target_dir, self.max_bytes, self.file_field = target_dir, max_bytes, file_field
        self.fields: dict[str, str] = {}
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._part: str | None = None
        self._filename: str | None = None
        self._buffer = bytearray()
        self._head = bytearray()
        self.handle = None
        self.tmp_path: Path | None = None
        self.name: str | None = None
        self.size = 0
        self.error: UploadError | None = None

    # -- callbacks -----------------------------------------------------------------------
    def on_part_begin(self) -> None:
        self._headers, self._part, self._filename = {}, None, None
        self._buffer = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field, self._header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._part = params.get(b"name", b"").decode("utf-8", "replace")
        raw_name = params.get(b"filename")
        self._filename = None if raw_name is None else raw_name.decode("utf-8", "replace")
        if self._part == self.file_field:
            if self.handle is not None:
                self._fail(400, "upload", f"has more than one {self.file_field!r} part",
                           "send one file per request")
                return
            self.name = safe_file_name(self._filename or "")
            self.target_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".upload.", suffix=".part", dir=self.target_dir)
            self.handle, self.tmp_path = os.fdopen(fd, "wb"), Path(tmp)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._part != self.file_field:
            self._buffer += chunk
            if len(self._buffer) > MAX_FIELD_BYTES:
                self._fail(413, f"form field {self._part!r}", "is too long",
                           f"send at most {MAX_FIELD_BYTES} bytes")
            return
        if self.handle is None:  # a second file part was refused
            return
        self.size += len(chunk)
        if self.size > self.max_bytes:
            self._fail(413, "upload", f"is larger than the limit of {self.max_bytes:,} bytes",
                       "send a smaller file or raise PATTERN_PIVOT_API_MAX_UPLOAD_MB")
            return
        if len(self._head) < SNIFF_BYTES:
            self._head += chunk[:SNIFF_BYTES - len(self._head)]
            if len(self._head) >= SNIFF_BYTES or len(self._head) == self.size:
                self._sniff(final=False)
        if self.error is None:
            self.handle.write(chunk)

    def on_part_end(self) -> None:
        if self._part != self.file_field:
            if self._part:
                self.fields[self._part] = bytes(self._buffer).decode("utf-8", "replace")
            return

    # -- checks --------------------------------------------------------------------------
    def _sniff(self, final: bool) -> None:
        if self.error is not None or self.name is None:
            return
        if len(self._head) < 12 and not final:
            return
        suffix = Path(self.name).suffix
        if not signature_matches(suffix, bytes(self._head)):
            self._fail(415, f"upload {self.name!r}",
                       f"does not start like a {suffix} file (its first bytes are "
                       f"{bytes(self._head[:12]).hex(' ')})",
                       "send the media file itself, with the extension of its format")

    def _fail(self, status: int, subject: str, problem: str, fix: str) -> None:
        if self.error is None:
            self.error = UploadError(status, subject, problem, fix)

    def close(self) -> None:
        if self.handle is not None and not self.handle.closed:
            self.handle.close()

    def discard(self) -> None:
        self.close()
        if self.tmp_path is not None:
            self.tmp_path.unlink(missing_ok=True)


async def receive_upload(content_type: str, content_length: str | None,
                         body: AsyncIterator[bytes], target_dir: Path, max_bytes: int,
                         file_field: str = "file") -> ReceivedUpload:
    """Stream a multipart/form-data body; the ``file`` part ends up in ``target_dir`` under
    its safe name. Raises UploadError (with its HTTP status) for a refused upload, having
    removed whatever it wrote."""
    kind, params = parse_options_header(content_type or "")
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise UploadError(415, "request body", f"is {content_type or 'untyped'!r}, not "
                          "multipart/form-data", "send the video as form field 'file' "
                          "(curl -F file=@video.mp4)")
    if content_length and content_length.isdigit() and int(content_length) > max_bytes + 65536:
        raise UploadError(413, "upload", f"declares {int(content_length):,} bytes, over the "
                          f"limit of {max_bytes:,}", "send a smaller file or raise "
                          "PATTERN_PIVOT_API_MAX_UPLOAD_MB")
    receiver = _Receiver(target_dir, max_bytes, file_field)
    parser = MultipartParser(boundary, callbacks={
        name: getattr(receiver, name) for name in (
            "on_part_begin", "on_header_field", "on_header_value", "on_header_end",
            "on_headers_finished", "on_part_data", "on_part_end")})
    try:
        async for chunk in body:
            if receiver.error is not None:
                break  # refused: stop reading (and writing) at once
            parser.write(chunk)
        if receiver.error is None:
            parser.finalize()
            if receiver.size:  # an empty file gets its own message below
                receiver._sniff(final=True)
    except UploadError:
        receiver.discard()
        raise
    except Exception as exc:  # a malformed body (python-multipart raises its own errors)
        receiver.discard()
        raise UploadError(400, "request body", f"is not valid multipart/form-data ({exc})",
                          "send the video as form field 'file'") from exc
    if receiver.error is not None:
        receiver.discard()
        raise receiver.error
    if receiver.handle is None:
        raise UploadError(400, "upload", f"has no {file_field!r} part",
                          f"send the video as form field '{file_field}'")
    if receiver.size == 0:
        receiver.discard()
        raise UploadError(400, f"upload {receiver.name!r}", "is empty (0 bytes)",
                          "send the whole file; check it plays locally first")
    receiver.close()
    final = target_dir / receiver.name
    os.replace(receiver.tmp_path, final)
    return ReceivedUpload(final, receiver.name, receiver.size, receiver.fields)
