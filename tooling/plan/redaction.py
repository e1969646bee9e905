"""Secret values of a plan, collected from its JSON, and masked in any text in ONE pass.

What is secret (collected from the plan JSON, never guessed from the text):

* values under `before_sensitive`/`after_sensitive` masks (resource changes and drift), sensitive
  outputs, and root variables declared `sensitive` (`show -json` prints their values in clear);
* values under any attribute or map key whose name matches a pattern (`*password*`, `*token*`,
  …; a tag `WebhookToken`), except provider settings that only look secret (`api_key_source`);
* every value of `aws_lambda_function.environment[].variables` (the provider does not mark them
  sensitive, so Terraform prints them), unless some other, non-secret attribute of the plan shows
  the same value in clear (a bucket name or topic ARN wired in by reference).

How it is masked: every form of every secret (raw, JSON-escaped, `"quoted"`, each line of a
multi-line secret) goes into ONE compiled regular expression, built as a prefix trie so that a
position is tried against all of them at once, longest first. One `re.sub` over the text then
masks them all, instead of one pass per secret and form (which took ~8 CPU-seconds on a
3,000-resource plan). Lambda environment values are masked only as whole tokens (not glued to
letters, digits, `.` or `-`), so a value like a service name cannot shred resource names; marked
and name-matched secrets are masked wherever they occur, even inside a longer string.

Plan text keeps its structure readable: resource headers (`# aws_x.y will be …`), `resource "…"
"…" {` lines, block openers and attribute/map-key names left of ` = ` are never masked. Only
values are. A secret that happens to equal a word of an address leaves the address alone.

Hand-written rather than a library: the trie-to-regex step is ~30 lines, and no maintained
package does "longest literal match with per-literal boundary rules and protected regions".
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tooling.plan.model import Plan, parse_plan

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

REDACTED = "(redacted)"
# Shorter secrets are only masked in their quoted form ("abc"): masking a bare 3-letter string
# everywhere would shred the text. Anything this long or longer is masked wherever it occurs.
MIN_RAW_MASK_LEN = 4
# Lines of a multi-line secret (a PEM key in a heredoc) are masked when at least this long.
MIN_LINE_MASK_LEN = 2 * MIN_RAW_MASK_LEN

DEFAULT_SECRET_PATTERNS: tuple[str, ...] = (
    "*password*",
    "*passwd*",
    "*secret*",
    "*token*",
    "*private_key*",
    "*privatekey*",
    "*api_key*",
    "*apikey*",
    "*credential*",
)

# Attribute names that match a pattern above but hold settings, not secrets (AWS provider).
NOT_SECRET_NAMES: frozenset[str] = frozenset(
    {"api_key_source", "api_key_version", "api_key_required", "token_validity_units"}
)

# A whole-token value may not be glued to these (so "file-processor" inside
# "sfp-dev-file-processor" stays).
_WORD = r"[\w.-]"

# Parts of plan text that are names, never values (multi-line mode, anchored at line starts):
#   # module.x.aws_y.z["k"] will be updated in-place         (resource headers, notes)
#   ~ resource "aws_y" "z" {    /   data "aws_y" "z" {         (resource openers)
#   ~ environment {                                           (block openers)
#   ~ "WebhookToken" = …   /   + arn = …                       (attribute / map-key names)
_PROTECTED = (
    r"^[ \t]*#[^\n]*"
    r"|^[ \t]*(?:[-+~]|-/\+|\+/-|<=)?[ \t]*(?:resource|data) \"[^\n]*"
    r"|^[ \t]*(?:[-+~]|-/\+|\+/-)?[ \t]*[\w-]+ \{[ \t]*$"
    r"|^[ \t]*(?:[-+~]|-/\+|\+/-)?[ \t]*(?:\"(?:[^\"\\\n]|\\.)*\"|[\w.-]+)(?=[ \t]+= )"
)


def _trie_regex(words: dict[str, bool]) -> str:
    """A regex matching any of `words`, longest first; `True` = whole token only.

    Built as a prefix trie (`ab(?:c|d(?:e)?)`), so the engine walks the characters once per
    position instead of trying every word. A whole-token word ends with its two boundary checks:
    a lookahead (nothing word-like follows) and a fixed-width lookbehind over the word itself
    (nothing word-like precedes it), so one trie serves both kinds and the longest match wins.
    """
    trie: dict[str, Any] = {}
    for word, whole in words.items():
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        # A word that is both a substring-secret and a whole-token value: the looser rule wins.
        node[""] = node.get("", True) and whole

    def build(node: dict[str, Any], depth: int) -> str:
        prefix = ""
        # Follow single-child chains iteratively (a 3 kB PEM key must not recurse 3,000 deep).
        while "" not in node and len(node) == 1:
            (char, child), *_ = node.items()
            prefix += re.escape(char)
            node = child
            depth += 1
        branches = [
            re.escape(char) + build(child, depth + 1) for char, child in node.items() if char != ""
        ]
        if "" not in node:
            return prefix + "(?:" + "|".join(branches) + ")"
        end = f"(?<!{_WORD}[\\s\\S]{{{depth}}})(?!{_WORD})" if node[""] else ""
        if not branches:
            return prefix + end
        # Longer continuations first; the word ending here is the fallback.
        return prefix + "(?:" + "|".join(branches) + "|" + end + ")"

    return build(trie, 0) if trie else "(?!)"


@dataclass
class Redactor:
    """The secret values found in a plan, and how to mask them in any text.

    `secrets` (marked sensitive, or under a secret-looking name) are masked wherever they occur.
    `whole_values` (Lambda environment values: secret by nature, but often plain names) are
    masked where they stand as a whole token.
    """

    secrets: set[str] = field(default_factory=set)
    whole_values: set[str] = field(default_factory=set)
    _sources: tuple[str, str, dict[str, str]] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _text_pattern: re.Pattern[str] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _value_pattern: re.Pattern[str] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def _build(self) -> tuple[str, str, dict[str, str]]:
        """(plan-text regex, value regex, matched form → replacement), built once."""
        if self._sources is not None:
            return self._sources
        forms: dict[str, bool] = {}  # form → whole-token only
        replacements: dict[str, str] = {}
        lines: set[str] = set()
        for secret, whole in [
            *((s, False) for s in self.secrets),
            *((v, True) for v in self.whole_values - self.secrets),
        ]:
            quoted = json.dumps(secret, ensure_ascii=False)
            if len(secret) < MIN_RAW_MASK_LEN:
                # Short values only in their quoted form, which is bounded by its quotes.
                forms[quoted] = False
                replacements[quoted] = f'"{REDACTED}"'
                continue
            # Raw and JSON-escaped (plan text escapes quotes, backslashes, newlines); a quoted
            # occurrence is covered by the raw form inside the quotes.
            for form in dict.fromkeys((secret, quoted[1:-1])):
                forms[form] = forms.get(form, True) and whole
                replacements.setdefault(form, REDACTED)
            if not whole and "\n" in secret:
                lines |= {
                    line.strip()
                    for line in secret.splitlines()
                    if len(line.strip()) >= MIN_LINE_MASK_LEN
                }
        for line in lines:
            forms[line] = False
            replacements.setdefault(line, REDACTED)
        values = _trie_regex(forms)
        text_parts = []
        if lines:
            text_parts.append(
                rf"(?P<line>^[ \t]*)(?:{_trie_regex(dict.fromkeys(lines, False))})(?=[ \t]*$)"
            )
        text_parts += [f"(?P<keep>{_PROTECTED})", values]
        self._sources = ("|".join(text_parts), values, replacements)
        return self._sources

    def mask(self, text: str) -> str:
        """Mask every secret in plan text (or a log), leaving names and addresses readable."""
        if not (self.secrets or self.whole_values):
            return text
        text_source, _, replacements = self._build()
        if self._text_pattern is None:
            self._text_pattern = re.compile(text_source, re.MULTILINE)
        pattern = self._text_pattern

        def replace(match: re.Match[str]) -> str:
            if match.group("keep") is not None:
                return match.group(0)
            if match.groupdict().get("line") is not None:
                return match.group("line") + REDACTED
            return replacements.get(match.group(0), REDACTED)

        return pattern.sub(replace, text)

    def mask_value(self, text: str) -> str:
        """Mask every secret in a value (no names to protect: the whole string is a value)."""
        if not (self.secrets or self.whole_values):
            return text
        _, value_source, replacements = self._build()
        if self._value_pattern is None:
            self._value_pattern = re.compile(value_source)
        return self._value_pattern.sub(lambda m: replacements.get(m.group(0), REDACTED), text)


# --------------------------------------------------------------------------- collecting


def _leaves(value: Any, mask: Any, *, all_secret: bool = False) -> Iterator[tuple[Any, bool]]:
    """Walk a value with its sensitivity mask, yielding (leaf, is_marked_sensitive)."""
    secret = all_secret or mask is True
    if isinstance(value, dict):
        sub = mask if isinstance(mask, dict) else {}
        for key, item in value.items():
            yield from _leaves(item, sub.get(key), all_secret=secret)
    elif isinstance(value, list):
        sub = mask if isinstance(mask, list) else []
        for index, item in enumerate(value):
            yield from _leaves(item, sub[index] if index < len(sub) else None, all_secret=secret)
    else:
        yield value, secret


def secret_name_matcher(patterns: Iterable[str]) -> Callable[[str], bool]:
    """`name -> bool`: does an attribute / map key / output name look like it holds a secret?

    The glob patterns become one compiled regex and answers are cached per name: a 3,000-resource
    plan asks about the same few hundred attribute names a million times.
    """
    globs = [fnmatch.translate(p.lower()) for p in patterns]
    combined = re.compile("|".join(f"(?:{g})" for g in globs) or "(?!)", re.DOTALL)

    @functools.lru_cache(maxsize=4096)
    def matches(name: str) -> bool:
        low = name.lower()
        return low not in NOT_SECRET_NAMES and combined.match(low) is not None

    return matches


def _as_secret(value: Any) -> str | None:
    """The text form of a leaf worth masking (no None/bools/empty strings)."""
    if value is None or isinstance(value, bool):
        return None
    text = value if isinstance(value, str) else json.dumps(value)
    return text if text.strip() else None


def _sensitive_variable_values(raw: dict[str, Any]) -> Iterator[Any]:
    """Values of root variables declared `sensitive = true` (the JSON prints them in clear)."""
    declared = ((raw.get("configuration") or {}).get("root_module") or {}).get("variables") or {}
    for name, spec in declared.items():
        if isinstance(spec, dict) and spec.get("sensitive"):
            value = ((raw.get("variables") or {}).get(name) or {}).get("value")
            yield from (v for v, _ in _leaves(value, None))


def _collect(
    value: Any,
    mask: Any,
    matches: Callable[[str], bool],
    sinks: tuple[set[str], set[str], set[str]],
    *,
    all_secret: bool = False,
    environment_key: str | None = None,
) -> None:
    """Sort every leaf of `value` into (marked, by_nature, public), in ONE walk.

    marked = under a sensitive mask (or `all_secret`) or a secret-looking name; by_nature = a
    leaf under the top-level `environment_key` (a function's environment) that is neither;
    public = everything else. An explicit stack, not recursion: a 3,000-resource plan has a
    million leaves, and generator recursion was the slowest part of rendering it.
    """
    marked, by_nature, public = sinks
    stack: list[tuple[Any, Any, bool, bool, bool]] = [(value, mask, all_secret, False, False)]
    while stack:
        item, item_mask, secret, named, in_env = stack.pop()
        secret = secret or item_mask is True
        if isinstance(item, dict):
            sub = item_mask if isinstance(item_mask, dict) else {}
            top = item is value
            for key, child in item.items():
                stack.append(
                    (
                        child,
                        sub.get(key),
                        secret,
                        named or matches(str(key)),
                        in_env or (top and key == environment_key),
                    )
                )
        elif isinstance(item, list):
            sub = item_mask if isinstance(item_mask, list) else []
            for index, child in enumerate(item):
                child_mask = sub[index] if index < len(sub) else None
                stack.append((child, child_mask, secret, named, in_env))
        elif item is not None and not isinstance(item, bool):
            text = item if isinstance(item, str) else json.dumps(item)
            if not text.strip():
                continue
            if secret or named:
                marked.add(text)
            elif in_env:
                by_nature.add(text)
            else:
                public.add(text)


def build_redactor(
    plan: Plan | dict[str, Any], secret_patterns: tuple[str, ...] = DEFAULT_SECRET_PATTERNS
) -> Redactor:
    """Collect every secret value from the plan JSON (never from the plan text)."""
    if isinstance(plan, dict):
        plan = parse_plan(plan)
    matches = secret_name_matcher(secret_patterns)
    marked: set[str] = set()
    by_nature: set[str] = set()
    public: set[str] = set()
    sinks = (marked, by_nature, public)

    for entry in (*plan.resource_changes, *plan.drift):
        # Lambda environment values are secret by nature: the provider does not mark them, so
        # Terraform prints them. "Public" values are shown in clear by some other attribute.
        env_key = "environment" if entry.type == "aws_lambda_function" else None
        _collect(entry.before, entry.before_sensitive, matches, sinks, environment_key=env_key)
        _collect(entry.after, entry.after_sensitive, matches, sinks, environment_key=env_key)

    for output in plan.output_changes:
        secret_output = matches(output.name)
        for value, mask in (
            (output.before, output.before_sensitive),
            (output.after, output.after_sensitive),
        ):
            _collect(value, mask, matches, (marked, set(), set()), all_secret=secret_output)
    marked.update(filter(None, map(_as_secret, _sensitive_variable_values(plan.raw))))

    # A Lambda env value that is also the plain value of some other, non-secret attribute (the
    # bucket name or topic ARN wired in by reference) is not a secret: the plan shows it anyway.
    return Redactor(secrets=marked, whole_values=by_nature - public - marked)


# --------------------------------------------------------------------------- logs without a plan

# Terraform diagnostics print the values of the references in the failing expression:
#   │     │ var.webhook_token is "whk-…"
_DIAGNOSTIC_VALUE = re.compile(r"^(?P<lead>[│|]?\s*[│|]\s+\S.*? is )(?P<value>.+)$", re.MULTILINE)
# Type descriptions and markers that say nothing about the value itself.
_HARMLESS_VALUE = re.compile(
    r"^(?:(?:a|an) [\w ()]+|null|true|false|empty \w+|\d+(?:\.\d+)?|"
    r"has a sensitive value|known only after apply|a sensitive value)$"
)
# `name = value` / `"name" = value` / `name: value` lines of any text.
_NAMED_VALUE = re.compile(
    r"(?P<name>\"?[\w.-]+\"?)(?P<sep>\s*[=:](?![=:])\s*)"
    r"(?P<value>\"(?:[^\"\\\n]|\\.)*\"|[^\s,}\]]+)"
)


def mask_log(
    text: str,
    redactor: Redactor | None = None,
    secret_patterns: tuple[str, ...] = DEFAULT_SECRET_PATTERNS,
) -> str:
    """Mask a Terraform/tooling log for which no plan JSON exists (a failed plan).

    Without a plan there is no list of secret values, so this masks by position instead: every
    value Terraform prints in a diagnostic's expression block (`var.x is "…"`), and every value
    assigned to a secret-looking name. Known secrets (`redactor`) are masked too.
    """
    matches = secret_name_matcher(secret_patterns)

    def diagnostic(match: re.Match[str]) -> str:
        value = match.group("value").strip()
        if _HARMLESS_VALUE.match(value):
            return match.group(0)
        return match.group("lead") + (f'"{REDACTED}"' if value.startswith('"') else REDACTED)

    text = _DIAGNOSTIC_VALUE.sub(diagnostic, text)
    # A hand-rolled scan rather than re.sub: after a name that is not secret, the search resumes
    # at its value (`Error: api_token = "…"` holds the secret assignment inside the first match).
    out: list[str] = []
    position = 0
    while (found := _NAMED_VALUE.search(text, position)) is not None:
        if not matches(found.group("name").strip('"')):
            out.append(text[position : found.start("value")])
            position = found.start("value")
            continue
        value = found.group("value")
        out.append(text[position : found.start("value")])
        out.append(f'"{REDACTED}"' if value.startswith('"') else REDACTED)
        position = found.end("value")
    out.append(text[position:])
    text = "".join(out)
    return redactor.mask(text) if redactor else text
