"""Content-type detection from the first bytes, falling back to the extension / S3 metadata."""

from __future__ import annotations

import json
import mimetypes

SNIFF_BYTES = 8192

OCTET_STREAM = "application/octet-stream"
TEXT_PLAIN = "text/plain"
JSON = "application/json"
NDJSON = "application/x-ndjson"
CSV = "text/csv"

# Magic numbers of common binary formats (prefix → content type).
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"BZh", "application/x-bzip2"),
    (b"\xfd7zXZ\x00", "application/x-xz"),
    (b"(\xb5/\xfd", "application/zstd"),
    (b"\x7fELF", "application/x-elf"),
    (b"PAR1", "application/vnd.apache.parquet"),
)
_EXTENSIONS: dict[str, str] = {
    ".csv": CSV,
    ".tsv": "text/tab-separated-values",
    ".json": JSON,
    ".ndjson": NDJSON,
    ".jsonl": NDJSON,
    ".txt": TEXT_PLAIN,
    ".log": TEXT_PLAIN,
    ".md": "text/markdown",
}
_GENERIC = frozenset({TEXT_PLAIN, OCTET_STREAM, "binary/octet-stream", ""})
# Bytes that never occur in text (C0 controls other than \t \n \f \r and ESC).
_BINARY_BYTES = frozenset(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D, 0x1B}


def looks_like_text(head: bytes) -> bool:
    """True when ``head`` has no NUL / control bytes.

    UTF-8 validity is a fact the text processor reports, not a condition of being text: a
    Latin-1 text file is text whose ``utf8_valid`` is false.
    """
    return not any(byte in _BINARY_BYTES for byte in head)


def _json_kind(head: bytes, complete: bool) -> str | None:
    """JSON vs NDJSON from the first bytes: NDJSON has one complete JSON value per line."""
    stripped = head.lstrip()
    if not stripped[:1] or stripped[:1] not in b"{[":
        return None
    lines = [line for line in stripped.split(b"\n") if line.strip()]
    if not complete and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut by the sniff window
    if len(lines) > 1:
        try:
            for line in lines:
                json.loads(line)
        except (ValueError, RecursionError):  # deeply nested input must not crash the sniff
            return JSON
        return NDJSON
    return JSON


def _normalize(declared: str | None) -> str:
    """``text/csv; charset=utf-8`` → ``text/csv``."""
    return (declared or "").split(";", 1)[0].strip().lower()


def sniff_content_type(head: bytes, *, key: str, declared: str | None, complete: bool) -> str:
    """Decide the content type of an object from its first bytes.

    ``head`` is up to :data:`SNIFF_BYTES` of the object (``complete`` when that is all of it);
    the key's extension and the S3 ``Content-Type`` only refine a generic sniff result.
    """
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    by_extension = _EXTENSIONS.get(_extension(key)) or mimetypes.guess_type(key)[0] or ""
    declared_type = _normalize(declared)
    if not looks_like_text(head):
        # Binary bytes win over a textual name: 'data.json' full of NULs is not JSON.
        hint = by_extension or declared_type
        return hint if hint and not _is_textual(hint) and hint not in _GENERIC else OCTET_STREAM
    sniffed = _json_kind(head, complete) or TEXT_PLAIN
    hint = by_extension if by_extension not in _GENERIC else declared_type
    if sniffed == JSON and hint == NDJSON:
        return NDJSON  # a one-line NDJSON head looks like a JSON document
    if sniffed != TEXT_PLAIN:
        return sniffed
    if _is_textual(hint):
        return hint
    return TEXT_PLAIN


def _is_textual(content_type: str) -> bool:
    return content_type.startswith("text/") or content_type in {JSON, NDJSON}


def _extension(key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""
