"""The streaming core and the per-type functions, without AWS."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from file_processor import sniff
from file_processor.jsonscan import JsonScanner, JsonSyntaxError
from file_processor.processing import analyze, csv_facts, json_facts, ndjson_facts, text_facts

# Characters that make up JSON tokens, so random strings are often almost-JSON.
JSONISH = '[]{}:,"\\ab0123-.eEtruefalsnl \n'
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    """Cut ``data`` at the given offsets (sorted, clipped) into chunks."""
    points = sorted({min(max(cut, 0), len(data)) for cut in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


@given(data=st.binary(max_size=3000), cuts=st.lists(st.integers(0, 3000), max_size=8))
def test_analysis_does_not_depend_on_chunking(data, cuts):
    # GIVEN any bytes, cut anywhere
    chunks = split(data, cuts)

    # WHEN analysed in chunks and in one piece
    chunked = analyze(chunks, key="any.txt")
    whole = analyze([data], key="any.txt")

    # THEN size, hash and facts agree, and match a direct computation
    assert chunked == whole
    assert chunked.size_bytes == len(data)
    assert chunked.sha256 == hashlib.sha256(data).hexdigest()


@given(value=json_values, indent=st.sampled_from([None, 1]), cuts=st.lists(st.integers(0, 500)))
def test_json_scanner_accepts_what_json_dumps_writes(value, indent, cuts):
    # GIVEN a serialised JSON document, cut anywhere
    document = json.dumps(value, indent=indent, ensure_ascii=False).encode()

    # WHEN scanned in chunks
    facts = json_facts(split(document, cuts))

    # THEN it is valid and its records are counted like json.loads would
    expected = len(value) if isinstance(value, list) else 1
    assert facts == {"valid": True, "record_count": expected}


@given(text=st.text(alphabet=JSONISH, max_size=40), cut=st.integers(0, 40))
def test_json_scanner_agrees_with_json_loads(text, cut):
    # GIVEN arbitrary JSON-ish text
    try:
        json.loads(text)
        valid = True
    except ValueError:
        valid = False

    # WHEN scanned in two pieces
    facts = json_facts(split(text.encode(), [cut]))

    # THEN the verdict is json.loads's
    assert facts["valid"] is valid


@given(
    data=st.lists(st.sampled_from([*JSONISH.encode(), 0xC3, 0xA9, 0xFF, 0x0C]), max_size=30).map(
        bytes
    ),
    cuts=st.lists(st.integers(0, 30), max_size=4),
)
def test_json_verdict_and_message_do_not_depend_on_chunking(data, cuts):
    # GIVEN JSON-ish bytes, possibly with invalid UTF-8, cut anywhere
    # WHEN scanned whole and in pieces / THEN the facts, error message included, are identical
    assert json_facts(split(data, cuts)) == json_facts([data])


def test_json_scanner_rejects_trailing_content_and_deep_nesting():
    # GIVEN two documents back to back, and an absurdly deep one
    scanner = JsonScanner()

    # WHEN / THEN both are refused
    with pytest.raises(JsonSyntaxError):
        scanner.feed('{"a": 1} {"b": 2}')
    assert json_facts([b"[" * 20_000])["valid"] is False


@given(
    rows=st.lists(st.lists(st.text(max_size=6), min_size=2, max_size=2), max_size=10),
    cuts=st.lists(st.integers(0, 300), max_size=6),
)
def test_csv_rows_match_the_csv_module(rows, cuts):
    # GIVEN a CSV file written by the csv module (quotes, commas, newlines in fields)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["h1", "h2"])
    writer.writerows(rows)
    data = buffer.getvalue().encode()

    # WHEN counted in chunks
    facts = csv_facts(split(data, cuts))

    # THEN the header and data rows are what csv.reader sees
    parsed = list(csv.reader(io.StringIO(buffer.getvalue(), newline="")))
    assert facts["valid"] is True
    assert facts["columns"] == ["h1", "h2"]
    assert facts["row_count"] == sum(1 for row in parsed[1:] if row)


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        ([b""], {"line_count": 0, "utf8_valid": True}),
        ([b"no newline"], {"line_count": 1, "utf8_valid": True}),
        ([b"a\nb\n"], {"line_count": 2, "utf8_valid": True}),
        # a multi-byte character cut between chunks is still valid UTF-8
        (
            ["\u00e9t\u00e9\n".encode()[:1], "\u00e9t\u00e9\n".encode()[1:]],
            {"line_count": 1, "utf8_valid": True},
        ),
        ([b"\xc3"], {"line_count": 1, "utf8_valid": False}),
        ([b"ok\n", b"\xff\n"], {"line_count": 2, "utf8_valid": False}),
    ],
)
def test_text_facts(chunks, expected):
    # GIVEN text chunks / WHEN counted / THEN lines and UTF-8 validity are exact
    assert text_facts(chunks) == expected


def test_ndjson_counts_valid_lines_and_reports_the_first_bad_one():
    # GIVEN NDJSON with a blank line and two bad lines, cut mid-line
    data = b'{"a":1}\n\n[1,2]\n{bad\n"x"\nnope'

    # WHEN processed in odd chunks
    facts = ndjson_facts(split(data, [3, 11, 20]))

    # THEN valid records are counted and the first bad line (1-based) is named
    assert facts == {"valid": False, "record_count": 3, "first_invalid_line": 4}


@pytest.mark.parametrize(
    ("head", "key", "declared", "expected"),
    [
        (b"\x89PNG\r\n\x1a\nxxxx", "photo.txt", "text/plain", "image/png"),
        (b"%PDF-1.7", "doc", None, "application/pdf"),
        (b'{"a": 1}', "no-extension", None, sniff.JSON),
        (b'{"a": 1}\n{"a": 2}\n', "events.log", None, sniff.NDJSON),
        (b'{"a": 1}\n', "one.jsonl", None, sniff.NDJSON),
        (b"a,b\n1,2\n", "table.csv", None, sniff.CSV),
        (b"a,b\n1,2\n", "table", "text/csv; charset=utf-8", sniff.CSV),
        (b"hello", "x.bin", None, sniff.TEXT_PLAIN),
        (b"\x00\x01\x02", "data.json", "application/json", sniff.OCTET_STREAM),
        (b"\x00\x01\x02", "archive.tar", None, "application/x-tar"),
    ],
)
def test_sniffing_prefers_bytes_then_extension_then_metadata(head, key, declared, expected):
    # GIVEN the first bytes, key and declared type / WHEN sniffed / THEN the expected type wins
    assert sniff.sniff_content_type(head, key=key, declared=declared, complete=True) == expected


def test_deeply_nested_json_head_is_reported_not_raised():
    # GIVEN an object whose first line nests deeper than Python's recursion limit
    body = b"[" * 2000 + b"\n1\n"
    # WHEN it is analysed
    analysis = analyze([body], key="nested.json")
    # THEN it is sniffed as JSON and reported invalid, without an exception escaping
    assert analysis.kind == "json"
    assert analysis.facts["valid"] is False


@given(
    # Deep nesting on a first line of its own: what the JSON/NDJSON sniff reads line by line.
    prefix=st.sampled_from([b"", b"[" * 3000 + b"\n", b'{"a":' * 1500 + b"\n", b"\xef\xbb\xbf"]),
    body=st.binary(max_size=2048),
    key=st.sampled_from(["x.json", "x.ndjson", "x.csv", "x.txt", "x.bin", "x"]),
)
def test_analysis_never_raises_on_arbitrary_bytes(prefix, body, key):
    # GIVEN any bytes (user uploads are arbitrary), WHEN analysed, THEN a result, never an error
    analysis = analyze([prefix + body], key=key)
    assert analysis.size_bytes == len(prefix) + len(body)
