"""One streaming pass over an object, feeding a small pure function per content kind.

The core (:func:`analyze`) hashes and counts every chunk exactly once and hands the same chunk
iterator to the per-kind function chosen from the first bytes. A per-kind function takes an
iterable of ``bytes`` and returns a dict of facts; it never sees the whole object at once, and
adding a type is one function plus one entry in :data:`PROCESSORS`.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any

from file_processor import sniff
from file_processor.jsonscan import JsonScanner, JsonSyntaxError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

Facts = dict[str, Any]

# A line longer than this (CSV / NDJSON) makes the file invalid instead of filling memory.
MAX_LINE_BYTES = 16 * 1024 * 1024
# Results go to SNS (256 KB per message): keep the reported header bounded.
MAX_REPORTED_COLUMNS = 100
MAX_REPORTED_COLUMN_CHARS = 200


class LineTooLongError(ValueError):
    """A line exceeded :data:`MAX_LINE_BYTES`."""


def text_facts(chunks: Iterable[bytes]) -> Facts:
    """Plain text: line count and whether the bytes are valid UTF-8."""
    lines = 0
    last = b""
    decoder = codecs.getincrementaldecoder("utf-8")()
    valid = True
    for chunk in chunks:
        if not chunk:
            continue
        lines += chunk.count(b"\n")
        last = chunk
        # ASCII needs no decoding; isascii() is an order of magnitude faster than decode().
        if valid and not (chunk.isascii() and not decoder.getstate()[0]):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                valid = False
    if valid:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            valid = False
    if last and not last.endswith(b"\n"):
        lines += 1  # a last line without a trailing newline still counts
    return {"line_count": lines, "utf8_valid": valid}


def _lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Split a chunk stream into lines (ends kept), holding at most one line at a time."""
    carry = b""
    for chunk in chunks:
        data = carry + chunk if carry else chunk
        start = 0
        while (end := data.find(b"\n", start)) >= 0:
            yield data[start : end + 1]
            start = end + 1
        carry = data[start:]
        if len(carry) > MAX_LINE_BYTES:
            raise LineTooLongError(f"a line is longer than {MAX_LINE_BYTES} bytes")
    if carry:
        yield carry


def csv_facts(chunks: Iterable[bytes]) -> Facts:
    """CSV: header columns and data row count (quoted newlines handled by the csv module)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    header: list[str] = []
    rows = 0
    try:
        reader = csv.reader(decoder.decode(line) for line in _lines(chunks))
        for row in reader:
            if not header and not rows:
                header = row
            elif row:
                rows += 1
        decoder.decode(b"", final=True)
    except (UnicodeDecodeError, csv.Error, LineTooLongError) as error:
        return {
            "valid": False,
            "error": type(error).__name__,
            "columns": _columns(header),
            "column_count": len(header),
            "row_count": rows,
        }
    return {
        "valid": True,
        "columns": _columns(header),
        "column_count": len(header),
        "row_count": rows,
    }


def _columns(header: list[str]) -> list[str]:
    return [name[:MAX_REPORTED_COLUMN_CHARS] for name in header[:MAX_REPORTED_COLUMNS]]


def json_facts(chunks: Iterable[bytes]) -> Facts:
    """One JSON document: validity and record count (array elements, else 1).

    Invalid UTF-8 is reported in preference to a syntax error, so the verdict does not depend
    on where the chunks happen to be cut.
    """
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    scanner = JsonScanner()
    syntax_error: JsonSyntaxError | None = None
    records: int | None = None
    try:
        for chunk in chunks:
            text = decoder.decode(chunk)
            if syntax_error is None:
                try:
                    scanner.feed(text)
                except JsonSyntaxError as error:
                    syntax_error = error  # keep decoding: UTF-8 validity still decides the verdict
        tail = decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return {"valid": False, "error": "not valid UTF-8", "record_count": None}
    if syntax_error is None:
        try:
            scanner.feed(tail)
            records = scanner.finish()
        except JsonSyntaxError as error:
            syntax_error = error
    if syntax_error is not None:
        return {"valid": False, "error": str(syntax_error)[:200], "record_count": None}
    return {"valid": True, "record_count": records}


def ndjson_facts(chunks: Iterable[bytes]) -> Facts:
    """Newline-delimited JSON: one value per non-blank line; validity and record count."""
    records = 0
    first_invalid: int | None = None
    line_number = 0
    try:
        for line_number, line in enumerate(_lines(chunks), start=1):
            if not line.strip():
                continue
            try:
                json.loads(line)
            except (ValueError, RecursionError):
                if first_invalid is None:
                    first_invalid = line_number
                continue
            records += 1
    except LineTooLongError:
        first_invalid = first_invalid or line_number + 1
    return {
        "valid": first_invalid is None,
        "record_count": records,
        "first_invalid_line": first_invalid,
    }


def binary_facts(chunks: Iterable[bytes]) -> Facts:
    """Binary: nothing beyond size and hash, which the core computes."""
    for _ in chunks:
        pass
    return {}


PROCESSORS: dict[str, Callable[[Iterable[bytes]], Facts]] = {
    "text": text_facts,
    "csv": csv_facts,
    "json": json_facts,
    "ndjson": ndjson_facts,
    "binary": binary_facts,
}


def kind_of(content_type: str) -> str:
    """Which processor handles a content type."""
    if content_type == sniff.CSV:
        return "csv"
    if content_type == sniff.JSON:
        return "json"
    if content_type == sniff.NDJSON:
        return "ndjson"
    if content_type.startswith("text/"):
        return "text"
    return "binary"


@dataclass(frozen=True, slots=True)
class Analysis:
    """What one streaming pass found out about an object."""

    size_bytes: int
    sha256: str
    content_type: str
    kind: str
    facts: Facts


class _Tally:
    """Hashes and counts chunks as they flow past (the core's share of the single pass)."""

    __slots__ = ("digest", "size")

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.size = 0

    def through(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        update = self.digest.update
        for chunk in chunks:
            update(chunk)
            self.size += len(chunk)
            yield chunk


def _head(chunks: Iterator[bytes]) -> tuple[list[bytes], bool]:
    """Read chunks until :data:`sniff.SNIFF_BYTES` are buffered; True when the stream ended."""
    head: list[bytes] = []
    buffered = 0
    while buffered < sniff.SNIFF_BYTES:
        chunk = next(chunks, None)
        if chunk is None:
            return head, True
        head.append(chunk)
        buffered += len(chunk)
    return head, False


def analyze(
    chunks: Iterable[bytes], *, key: str, declared_content_type: str | None = None
) -> Analysis:
    """Stream ``chunks`` once: size, sha256, content type and the per-kind facts."""
    stream = iter(chunks)
    head, complete = _head(stream)
    head_bytes = b"".join(head)[: sniff.SNIFF_BYTES]
    content_type = sniff.sniff_content_type(
        head_bytes, key=key, declared=declared_content_type, complete=complete
    )
    kind = kind_of(content_type)
    tally = _Tally()
    flowing = tally.through(chain(head, stream))
    facts = PROCESSORS[kind](flowing)
    for _ in flowing:  # a processor may stop early; hash and count the rest regardless
        pass
    return Analysis(
        size_bytes=tally.size,
        sha256=tally.digest.hexdigest(),
        content_type=content_type,
        kind=kind,
        facts=facts,
    )
