"""Module READMEs generated from the HCL: requirements, providers, resources, inputs, outputs.

What terraform-docs writes (its Go binary cannot be installed here), from the same sources:
``required_version`` / ``required_providers``, every ``resource`` / ``data`` / ``module`` block,
and every ``variable`` (description, type, default, required) and ``output`` (description,
sensitive). The generated part sits between terraform-docs' own markers, so the hand-written
prose around it stays, and a repo could switch to terraform-docs without touching the READMEs::

    <!-- BEGIN_TF_DOCS -->
    …generated…
    <!-- END_TF_DOCS -->

``invoke docs`` writes them; the ``check`` step fails while any README differs from what would
be generated. A README without the markers gets them where its hand-written ``## Inputs`` /
``## Outputs`` tables were (those tables are what drifted), or at its end.

Structure comes from the ``hcl2`` parser the tooling already uses (:mod:`tooling.core.tfvars`).
Types are shown as written in the source (as terraform-docs shows them); that parser turns type
expressions into interpolation strings, so their text is read from the source lines of the
block (:func:`attribute_source`, a small bracket/string/heredoc-aware scanner, written by hand
because no parser here keeps expression text). Defaults are shown as JSON, as terraform-docs does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tooling.core import paths, tfvars
from tooling.core.console import say
from tooling.core.errors import ToolingError

if TYPE_CHECKING:
    from pathlib import Path

BEGIN_MARKER = "<!-- BEGIN_TF_DOCS -->"
END_MARKER = "<!-- END_TF_DOCS -->"
README_NAME = "README.md"
REGISTRY_DOCS = (
    "https://registry.terraform.io/providers/{namespace}/{name}/latest/docs/{kind}/{type}"
)
# Hand-written sections the generated block replaces when a README gets its markers.
REPLACED_HEADINGS = ("## inputs", "## outputs")


@dataclass(frozen=True)
class Variable:
    """One input of a module."""

    name: str
    description: str
    type: str
    default: Any
    required: bool
    sensitive: bool = False


@dataclass(frozen=True)
class Output:
    """One output of a module."""

    name: str
    description: str
    sensitive: bool = False


@dataclass(frozen=True)
class ModuleDocs:
    """Everything the generated block of one module's README shows."""

    requirements: list[tuple[str, str]]  # (name, constraint): terraform first, then providers
    providers: list[tuple[str, str]]  # (local name, source)
    resources: list[tuple[str, str, str]]  # (address, kind: resource|data source, doc URL)
    modules: list[tuple[str, str]]  # (name, source)
    variables: list[Variable]
    outputs: list[Output]


def modules_with_readmes(modules_dir: Path | None = None) -> list[Path]:
    """Every module dir (a dir holding ``*.tf``) under terraform/modules."""
    base = modules_dir or paths.MODULES_DIR
    if not base.is_dir():
        return []
    return [path for path in sorted(base.iterdir()) if path.is_dir() and any(path.glob("*.tf"))]


def write_all(modules_dir: Path | None = None) -> list[Path]:
    """Regenerate every module README; return the ones whose content changed."""
    changed = []
    for module in modules_with_readmes(modules_dir):
        readme = module / README_NAME
        current = readme.read_text(encoding="utf-8") if readme.is_file() else ""
        updated = updated_readme(current, module)
        if updated != current:
            readme.write_text(updated, encoding="utf-8")
            changed.append(readme)
    return changed


def outdated(modules_dir: Path | None = None) -> list[Path]:
    """The module READMEs that differ from what :func:`write_all` would write."""
    stale = []
    for module in modules_with_readmes(modules_dir):
        readme = module / README_NAME
        current = readme.read_text(encoding="utf-8") if readme.is_file() else ""
        if updated_readme(current, module) != current:
            stale.append(readme)
    return stale


def check(modules_dir: Path | None = None) -> None:
    """The ``check`` step: fail while a module README is out of date."""
    stale = outdated(modules_dir)
    if stale:
        names = ", ".join(_relative(path) for path in stale)
        raise ToolingError(
            f"{len(stale)} module README(s) out of date with their Terraform: {names}",
            hint="run `invoke docs` and commit the result (it rewrites only the part between "
            f"{BEGIN_MARKER} and {END_MARKER})",
        )
    say(f"module READMEs: {len(modules_with_readmes(modules_dir))} up to date")


def updated_readme(current: str, module: Path) -> str:
    """``current`` with its generated block replaced (or inserted) from ``module``'s HCL."""
    block = f"{BEGIN_MARKER}\n{render(read_module(module))}{END_MARKER}\n"
    if BEGIN_MARKER in current and END_MARKER in current:
        before, _, rest = current.partition(BEGIN_MARKER)
        _, _, after = rest.partition(END_MARKER)
        return before + block.rstrip("\n") + after if after else before + block
    if not current.strip():
        return f"# {module.name}\n\n{block}"
    return _insert_block(current, block)


def _insert_block(current: str, block: str) -> str:
    """Put the block where the hand-written Inputs/Outputs sections were, dropping them."""
    lines = current.splitlines(keepends=True)
    kept: list[str] = []
    inserted = False
    skipping = False
    for line in lines:
        heading = line.strip().lower()
        if line.startswith("## "):
            skipping = heading in REPLACED_HEADINGS
            if skipping and not inserted:
                kept.append(block + "\n")
                inserted = True
        if not skipping:
            kept.append(line)
    text = "".join(kept)
    if not inserted:
        text = text.rstrip("\n") + "\n\n" + block
    return re.sub(r"\n{3,}", "\n\n", text)


# --- reading the module ----------------------------------------------------------------------


def read_module(module: Path) -> ModuleDocs:
    """The documented facts of one module, from its ``*.tf`` files."""
    variables: list[Variable] = []
    outputs: list[Output] = []
    resources: list[tuple[str, str, str]] = []
    modules: list[tuple[str, str]] = []
    requirements: list[tuple[str, str]] = []
    providers: list[tuple[str, str]] = []
    for path in sorted(module.glob("*.tf")):
        source_lines = path.read_text(encoding="utf-8").splitlines()
        parsed = tfvars.read_hcl(path)
        for block in parsed.get("variable", []):
            for name, body in block.items():
                variables.append(_variable(name, body, source_lines))
        for block in parsed.get("output", []):
            for name, body in block.items():
                outputs.append(
                    Output(
                        tfvars.unquote(name),
                        _text(body.get("description")),
                        tfvars.attribute_value(body.get("sensitive")) is True,
                    )
                )
        for kind, label in (("resource", "resource"), ("data", "data source")):
            for block in parsed.get(kind, []):
                for resource_type, instances in block.items():
                    for name in instances:
                        rtype = tfvars.unquote(resource_type)
                        prefix = "data." if kind == "data" else ""
                        resources.append((f"{prefix}{rtype}.{tfvars.unquote(name)}", label, rtype))
        for block in parsed.get("module", []):
            for name, body in block.items():
                modules.append((tfvars.unquote(name), _text(body.get("source"))))
        for block in parsed.get("terraform", []):
            version = tfvars.attribute_value(block.get("required_version"))
            if isinstance(version, str):
                requirements.append(("terraform", version))
            for entry in block.get("required_providers", []):
                for local_name, spec in entry.items():
                    spec_value = tfvars.attribute_value(spec)
                    spec_value = spec_value if isinstance(spec_value, dict) else {}
                    name = tfvars.unquote(local_name)
                    requirements.append((name, str(spec_value.get("version", "any"))))
                    providers.append((name, str(spec_value.get("source", f"hashicorp/{name}"))))
    provider_sources = dict(providers)
    return ModuleDocs(
        requirements=requirements,
        providers=sorted(providers),
        resources=sorted(
            (address, label, _doc_url(rtype, label, provider_sources))
            for address, label, rtype in resources
        ),
        modules=sorted(modules),
        variables=sorted(variables, key=lambda item: item.name),
        outputs=sorted(outputs, key=lambda item: item.name),
    )


def _variable(name: str, body: dict[str, Any], source_lines: list[str]) -> Variable:
    start, end = int(body.get("__start_line__", 0)), int(body.get("__end_line__", 0))
    block_lines = source_lines[start - 1 : end] if start and end else []
    type_text = attribute_source(block_lines, "type") or "any"
    has_default = "default" in body
    return Variable(
        name=tfvars.unquote(name),
        description=_text(body.get("description")),
        type=type_text,
        default=tfvars.attribute_value(body.get("default")) if has_default else None,
        required=not has_default,
        sensitive=tfvars.attribute_value(body.get("sensitive")) is True,
    )


def _doc_url(resource_type: str, label: str, provider_sources: dict[str, str]) -> str:
    local_name, _, short_type = resource_type.partition("_")
    namespace, _, name = provider_sources.get(local_name, f"hashicorp/{local_name}").rpartition("/")
    if not short_type or not name:
        return ""
    return REGISTRY_DOCS.format(
        namespace=namespace.split("/")[-1] or "hashicorp",
        name=name,
        kind="data-sources" if label == "data source" else "resources",
        type=short_type,
    )


def _text(value: Any) -> str:
    """A string attribute as written: the parser keeps escapes (``\\"``) raw."""
    plain = tfvars.attribute_value(value)
    if not isinstance(plain, str):
        return "" if plain is None else str(plain)
    return plain.replace('\\"', '"').replace("\\\\", "\\")


def attribute_source(block_lines: list[str], name: str) -> str:
    """The source text of attribute ``name`` directly inside a block (not in a nested block),
    from the ``=`` to the end of its expression; ``""`` when it is not there."""
    depth = 0
    for index, line in enumerate(block_lines):
        if depth == 1:
            match = re.match(rf"^(\s*){re.escape(name)}\s*=\s*(.*)$", line)
            if match:
                indent = len(match.group(1))
                following = [_dedent(text, indent) for text in block_lines[index + 1 :]]
                return _expression(match.group(2), following)
        depth += _depth_change(line)
    return ""


def _dedent(line: str, indent: int) -> str:
    """``line`` without up to ``indent`` leading spaces (the attribute's own indentation)."""
    spaces = len(line) - len(line.lstrip(" "))
    return line[min(spaces, indent) :]


def _expression(first: str, following: list[str]) -> str:
    """An expression that starts with ``first`` and may continue over ``following`` lines."""
    text = first
    scanner = _Scanner()
    scanner.feed(first)
    rest = iter(following)
    while scanner.open:
        line = next(rest, None)
        if line is None:
            break
        text += "\n" + line
        scanner.feed(line)
    return _strip_comment(text).rstrip()


class _Scanner:
    """Tracks brackets, strings and heredocs across lines of one expression."""

    def __init__(self) -> None:
        self.depth = 0
        self.heredoc: str | None = None

    @property
    def open(self) -> bool:
        return self.depth > 0 or self.heredoc is not None

    def feed(self, line: str) -> None:
        if self.heredoc is not None:
            if line.strip() == self.heredoc:
                self.heredoc = None
            return
        heredoc = re.search(r"<<-?([A-Za-z_][A-Za-z0-9_]*)\s*$", line)
        self.depth += _depth_change(line)
        if heredoc:
            self.heredoc = heredoc.group(1)


def _depth_change(line: str) -> int:
    """Net ``([{`` minus ``)]}`` outside strings and comments on one line."""
    change = 0
    in_string = False
    index = 0
    while index < len(line):
        char = line[index]
        if in_string:
            if char == "\\":
                index += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "#" or line.startswith("//", index):
            break
        elif char in "([{":
            change += 1
        elif char in ")]}":
            change -= 1
        index += 1
    return change


def _strip_comment(text: str) -> str:
    """Drop a trailing ``#`` / ``//`` comment from each line (outside strings)."""
    lines = []
    for line in text.split("\n"):
        in_string = False
        cut = len(line)
        for index, char in enumerate(line):
            if char == '"' and (index == 0 or line[index - 1] != "\\"):
                in_string = not in_string
            elif not in_string and (char == "#" or line.startswith("//", index)):
                cut = index
                break
        lines.append(line[:cut].rstrip())
    return "\n".join(lines)


# --- rendering ------------------------------------------------------------------------------


def render(docs: ModuleDocs) -> str:
    """The generated Markdown: Requirements, Providers, Modules, Resources, Inputs, Outputs."""
    parts = [
        "## Requirements\n",
        _table(
            ["Name", "Version"], [[name, _code(version)] for name, version in docs.requirements]
        ),
        "## Providers\n",
        _table(["Name", "Source"], [[name, _code(source)] for name, source in docs.providers]),
    ]
    if docs.modules:
        parts += [
            "## Modules\n",
            _table(["Name", "Source"], [[name, _code(source)] for name, source in docs.modules]),
        ]
    parts += [
        "## Resources\n",
        _table(
            ["Name", "Type"],
            [
                [f"[{address}]({url})" if url else address, kind]
                for address, kind, url in docs.resources
            ],
        ),
        "## Inputs\n",
        _table(
            ["Name", "Description", "Type", "Default", "Required"],
            [
                [
                    _code(item.name),
                    _cell(item.description),
                    _code(item.type),
                    "n/a" if item.required else _code(_default(item.default)),
                    "yes" if item.required else "no",
                ]
                for item in docs.variables
            ],
        ),
        "## Outputs\n",
        _table(
            ["Name", "Description", "Sensitive"],
            [
                [_code(item.name), _cell(item.description), "yes" if item.sensitive else "no"]
                for item in docs.outputs
            ],
        ),
    ]
    return "\n".join(parts)


def _table(header: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "None.\n"
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]
    return "\n".join(lines) + "\n"


def _default(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _code(text: str) -> str:
    """Code in a table cell: one line as `code`, several as <pre> (Markdown tables are one line)."""
    if "\n" in text:
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return "<pre>" + escaped.replace("|", "&#124;").replace("\n", "<br>") + "</pre>"
    return "`" + text.replace("|", "\\|") + "`"


def _cell(text: str) -> str:
    """Prose in a table cell: pipes escaped, and ``<x>`` shown rather than taken as HTML."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("|", "\\|").replace("\n", "<br>") or "n/a"


def _relative(path: Path) -> str:
    try:
        return path.resolve().relative_to(paths.REPO_ROOT.resolve()).as_posix()
    except ValueError:
        return str(path)
