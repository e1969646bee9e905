"""GitHub Actions expressions (`${{ … }}`, `if:`), evaluated for workflow rehearsals.

Hand-written because no maintained Python package evaluates them; it covers what workflows
commonly use, and fails loudly on anything else rather than guessing:

* literals: `'string'` (`''` escapes a quote), numbers, `true`, `false`, `null`;
* context paths: `github.event.pull_request.head.sha`, `steps.plan.outputs.drifted`,
  `matrix.env`, `vars.X`, `inputs.x`, `env.X`, `needs.x.result`, `x['key']`;
* operators `!`, `==`, `!=`, `<`, `<=`, `>`, `>=`, `&&`, `||`, parentheses, with GitHub's rules:
  `&&`/`||` return an operand, strings compare case-insensitively, falsy = false, 0, '', null;
* functions: `success()`, `failure()`, `always()`, `cancelled()`, `contains()`, `startsWith()`,
  `endsWith()`, `format()`, `toJSON()`, `fromJSON()`, `join()`.
"""

from __future__ import annotations

import json
import operator
import re
from dataclasses import dataclass
from typing import Any

from tooling.core.errors import ToolingError

STATUS_FUNCTIONS = ("success", "failure", "always", "cancelled")
_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\],.])|(?P<name>[A-Za-z_][\w-]*))"
)
_COMPARISONS = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_EMBEDDED = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


@dataclass
class JobStatus:
    """What the status functions see: has an earlier step failed, was the run cancelled."""

    failed: bool = False
    cancelled: bool = False


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ToolingError(
                f"cannot read the expression {text!r} at {text[position:]!r}",
                hint="the rehearsal supports GitHub's common expression syntax only",
            )
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        position = match.end()
    return out


def truthy(value: Any) -> bool:
    """GitHub's truthiness: false, 0, -0, '', null are false."""
    return value not in (False, 0, "", None)


def _compare(left: Any, right: Any) -> tuple[Any, Any]:
    if isinstance(left, str) and isinstance(right, str):
        return left.lower(), right.lower()
    if isinstance(left, str) != isinstance(right, str):
        # GitHub coerces to numbers when the types differ.
        def number(value: Any) -> float:
            if value is None:
                return 0.0
            if isinstance(value, bool):
                return float(value)
            try:
                return float(value)
            except (TypeError, ValueError):
                return float("nan")

        return number(left), number(right)
    return left, right


class _Parser:
    def __init__(self, text: str, contexts: dict[str, Any], status: JobStatus) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.index = 0
        self.contexts = contexts
        self.status = status

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise ToolingError(
                f"expression {self.text!r}: expected {value or 'more'}",
                hint="check the expression's syntax",
            )
        self.index += 1
        return token

    def parse(self) -> Any:
        value = self.or_()
        if self.peek() is not None:
            raise ToolingError(
                f"expression {self.text!r}: unexpected {self.peek()[1]!r}",  # type: ignore[index]
                hint="check the expression's syntax",
            )
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.and_()
            value = value if truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.compare()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.compare()
            value = right if truthy(value) else value
        return value

    def compare(self) -> Any:
        value = self.unary()
        while self.peek() in {("op", o) for o in ("==", "!=", "<", "<=", ">", ">=")}:
            op = self.take()[1]
            left, right = _compare(value, self.unary())
            value = _COMPARISONS[op](left, right)
        return value

    def unary(self) -> Any:
        if self.peek() == ("op", "!"):
            self.take()
            return not truthy(self.unary())
        return self.primary()

    def primary(self) -> Any:
        kind, value = self.take()
        if kind == "string":
            return value[1:-1].replace("''", "'")
        if kind == "number":
            return float(value) if "." in value else int(value)
        if (kind, value) == ("op", "("):
            inner = self.or_()
            self.take(")")
            return inner
        if kind != "name":
            raise ToolingError(f"expression {self.text!r}: unexpected {value!r}", hint="")
        if value in {"true", "false"}:
            return value == "true"
        if value == "null":
            return None
        if self.peek() == ("op", "("):
            return self.call(value)
        return self.path(self.contexts.get(value))

    def path(self, current: Any) -> Any:
        while self.peek() in {("op", "."), ("op", "[")}:
            if self.take()[1] == ".":
                key: Any = self.take()[1]
            else:
                key = self.or_()
                self.take("]")
            if isinstance(current, dict):
                current = current.get(key)
            elif isinstance(current, list) and isinstance(key, int) and key < len(current):
                current = current[key]
            else:
                current = None
        return current

    def call(self, name: str) -> Any:
        self.take("(")
        args: list[Any] = []
        while self.peek() != ("op", ")"):
            args.append(self.or_())
            if self.peek() == ("op", ","):
                self.take()
        self.take(")")
        lowered = name.lower()
        if lowered == "success":
            return not self.status.failed and not self.status.cancelled
        if lowered == "failure":
            return self.status.failed
        if lowered == "always":
            return True
        if lowered == "cancelled":
            return self.status.cancelled
        text = [("" if a is None else str(a)) for a in args]
        if lowered == "contains":
            haystack = args[0]
            if isinstance(haystack, list):
                return any(str(x).lower() == text[1].lower() for x in haystack)
            return text[1].lower() in text[0].lower()
        if lowered == "startswith":
            return text[0].lower().startswith(text[1].lower())
        if lowered == "endswith":
            return text[0].lower().endswith(text[1].lower())
        if lowered == "format":
            return re.sub(r"\{(\d+)\}", lambda m: text[int(m.group(1)) + 1], text[0])
        if lowered == "tojson":
            return json.dumps(args[0], indent=2)
        if lowered == "fromjson":
            return json.loads(text[0])
        if lowered == "join":
            separator = text[1] if len(args) > 1 else ","
            items = args[0] if isinstance(args[0], list) else [args[0]]
            return separator.join(str(i) for i in items)
        raise ToolingError(
            f"expression {self.text!r}: the function {name}() is not supported here",
            hint="the rehearsal knows GitHub's status and string functions only",
        )


def evaluate(expression: str, contexts: dict[str, Any], status: JobStatus | None = None) -> Any:
    """The value of one expression (without its `${{ }}`)."""
    return _Parser(expression, contexts, status or JobStatus()).parse()


def as_text(value: Any) -> str:
    """How GitHub puts a value into a string: null → '', booleans lower-case, JSON for objects."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def substitute(text: str, contexts: dict[str, Any], status: JobStatus | None = None) -> str:
    """`text` with every `${{ … }}` replaced by its value."""
    return _EMBEDDED.sub(lambda m: as_text(evaluate(m.group(1), contexts, status)), text)


def condition(text: Any, contexts: dict[str, Any], status: JobStatus) -> bool:
    """An `if:`: implicitly `success() && (…)` unless it calls a status function itself."""
    if text is None or text == "":
        return not status.failed and not status.cancelled
    if isinstance(text, bool):
        return text and not status.failed
    source = str(text).strip()
    embedded = _EMBEDDED.fullmatch(source)
    expression = embedded.group(1) if embedded else source
    value = truthy(evaluate(expression, contexts, status))
    uses_status = re.search(rf"\b(?:{'|'.join(STATUS_FUNCTIONS)})\s*\(", expression)
    if uses_status:
        return value
    return value and not status.failed and not status.cancelled
