"""A streaming JSON validator: checks a document chunk by chunk in bounded memory.

``json.loads`` needs the whole document; this scanner keeps only a grammar stack and a short
carry-over (an unfinished number, literal or escape). String bodies are matched and dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_WS = re.compile(r"[ \t\n\r]*")
# The body of a string up to (not including) its closing quote; stops before a bad or cut escape.
_STRING_BODY = re.compile(r'(?:[^"\\\x00-\x1f]+|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*')
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_NUMBER_CHARS = re.compile(r"[-+0-9.eE]*")
_LITERALS = {"t": "true", "f": "false", "n": "null"}
# A longer unfinished token than this is not worth holding: the document is called invalid.
MAX_CARRY_CHARS = 1 << 20
MAX_DEPTH = 10_000

# What the grammar expects next.
_VALUE, _VALUE_OR_CLOSE, _KEY, _KEY_OR_CLOSE, _COLON, _COMMA_OR_CLOSE, _END = range(7)


class JsonSyntaxError(ValueError):
    """The document is not valid JSON."""


@dataclass(slots=True)
class JsonScanner:
    """Feed text with :meth:`feed`, then call :meth:`finish`; count top-level records."""

    stack: list[str] = field(default_factory=list)  # "[" or "{" per open container
    expect: int = _VALUE
    carry: str = ""
    in_string: bool = False
    string_is_key: bool = False
    records: int = 0  # elements of a top-level array, else 1 for a complete document
    top_is_array: bool = False
    offset: int = 0  # characters fed so far (error offsets are absolute, not per chunk)
    _base: int = 0  # absolute offset of the buffer being scanned

    def feed(self, text: str) -> None:
        """Scan the next piece of the document; raises JsonSyntaxError at the first error."""
        base = self.offset - len(self.carry)
        self.offset += len(text)
        self._scan(self.carry + text if self.carry else text, base=base, final=False)

    def finish(self) -> int:
        """Check the document is complete; return its record count."""
        if self.carry or self.in_string:
            self._scan(self.carry, base=self.offset - len(self.carry), final=True)
        if self.in_string or self.expect != _END:
            raise JsonSyntaxError("the document ends early")
        return self.records

    def _scan(self, buf: str, *, base: int, final: bool) -> None:
        self.carry = ""
        self._base = base
        pos, end = 0, len(buf)
        while pos < end:
            if self.in_string:
                pos = self._string(buf, pos, final=final)
                if self.in_string:
                    return
                continue
            pos = _WS.match(buf, pos).end()  # type: ignore[union-attr]  # matches empty
            if pos >= end:
                return
            char = buf[pos]
            if char == '"':
                if self.expect not in (_VALUE, _VALUE_OR_CLOSE, _KEY, _KEY_OR_CLOSE):
                    raise JsonSyntaxError(f"unexpected string at offset {self._base + pos}")
                self.string_is_key = self.expect in (_KEY, _KEY_OR_CLOSE)
                self.in_string = True
                pos += 1
            elif char in "{[":
                self._expect_value(pos)
                if not self.stack:
                    self.top_is_array = char == "["
                if len(self.stack) >= MAX_DEPTH:
                    raise JsonSyntaxError("the document nests too deeply")
                self.stack.append(char)
                self.expect = _KEY_OR_CLOSE if char == "{" else _VALUE_OR_CLOSE
                pos += 1
            elif char in "}]":
                self._close(char, pos)
                pos += 1
            elif char == ":":
                if self.expect != _COLON:
                    raise JsonSyntaxError(f"unexpected ':' at offset {self._base + pos}")
                self.expect = _VALUE
                pos += 1
            elif char == ",":
                if self.expect != _COMMA_OR_CLOSE or not self.stack:
                    raise JsonSyntaxError(f"unexpected ',' at offset {self._base + pos}")
                self.expect = _KEY if self.stack[-1] == "{" else _VALUE
                pos += 1
            else:
                scalar_end = self._scalar(buf, pos, final=final)
                if scalar_end is None:
                    self._keep(buf[pos:])
                    return
                pos = scalar_end

    def _keep(self, rest: str) -> None:
        if len(rest) > MAX_CARRY_CHARS:
            raise JsonSyntaxError("a number or literal is too long")
        self.carry = rest

    def _string(self, buf: str, pos: int, *, final: bool) -> int:
        body_end = _STRING_BODY.match(buf, pos).end()  # type: ignore[union-attr]  # matches empty
        if body_end < len(buf) and buf[body_end] == '"':
            self.in_string = False
            if self.string_is_key:
                self.expect = _COLON
            else:
                self._value_done()
            return body_end + 1
        rest = buf[body_end:]
        if not final and rest.startswith("\\") and len(rest) < 6:
            self.carry = rest  # an escape cut by the chunk boundary
            return len(buf)
        if body_end == len(buf) and not final:
            return len(buf)
        raise JsonSyntaxError(f"bad string content near offset {self._base + body_end}")

    def _scalar(self, buf: str, pos: int, *, final: bool) -> int | None:
        """Scan a number or literal at ``pos``; None when it may continue in the next chunk."""
        self._expect_value(pos)
        literal = _LITERALS.get(buf[pos])
        if literal is not None:
            if buf.startswith(literal, pos):
                self._value_done()
                return pos + len(literal)
            if not final and literal.startswith(buf[pos:]):
                return None
            raise JsonSyntaxError(f"bad literal at offset {self._base + pos}")
        run_end = _NUMBER_CHARS.match(buf, pos).end()  # type: ignore[union-attr]  # matches empty
        if run_end == len(buf) and not final:
            return None
        if run_end == pos or not _NUMBER.fullmatch(buf, pos, run_end):
            raise JsonSyntaxError(f"unexpected character at offset {self._base + pos}")
        self._value_done()
        return run_end

    def _expect_value(self, pos: int) -> None:
        if self.expect not in (_VALUE, _VALUE_OR_CLOSE):
            raise JsonSyntaxError(f"unexpected value at offset {self._base + pos}")

    def _close(self, char: str, pos: int) -> None:
        opener = "{" if char == "}" else "["
        closable = _KEY_OR_CLOSE if char == "}" else _VALUE_OR_CLOSE
        if (
            not self.stack
            or self.stack[-1] != opener
            or self.expect
            not in (
                closable,
                _COMMA_OR_CLOSE,
            )
        ):
            raise JsonSyntaxError(f"unexpected {char!r} at offset {self._base + pos}")
        self.stack.pop()
        self._value_done()

    def _value_done(self) -> None:
        if len(self.stack) == 1 and self.stack[0] == "[":
            self.records += 1
        elif not self.stack and not self.top_is_array:
            self.records = 1  # a top-level object or scalar
        self.expect = _COMMA_OR_CLOSE if self.stack else _END
