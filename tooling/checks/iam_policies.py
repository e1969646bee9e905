"""The `check` step that lints every identity policy of every env's planned stack with parliament.

The documents are the provider's own rendering of the modules' ``aws_iam_policy_document``s
(:mod:`tooling.checks.rendered_stack`): the role policies of both functions, the uploader
policy, the API Gateway account role's policy — whatever identity policy the env roots create.
parliament (https://github.com/duo-labs/parliament) runs with its community auditors; a finding
fails the step unless ``terraform/policies/parliament.yaml`` accepts it with a reason. An
accepted finding that no longer occurs fails the step too, so the list cannot go stale.

Resource-based policies (trust, key, bucket, topic, queue and API policies) are not given to
parliament: it lints identity policies (it reports a trust policy's missing ``Resource`` and a
key policy's ``"Resource": "*"``, which are what those policies must look like). checkov, the
modules' ``terraform test`` runs and the custom checks cover them.

Run as ``python -m tooling.checks.iam_policies [MIRROR]``: `check` runs it in a child process
(:mod:`tooling.checks.iam_step`).
"""

from __future__ import annotations

import fnmatch
import json
import sys
from dataclasses import dataclass
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

import parliament
import yaml

from tooling.checks import rendered_stack
from tooling.core import paths
from tooling.core.errors import ToolingError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from pathlib import Path

IGNORES_PATH = paths.TERRAFORM_DIR / "policies" / "parliament.yaml"


@dataclass(frozen=True)
class Finding:
    """One parliament finding in one rendered policy of one env."""

    env: str
    policy: str  # "<resource address>.<attribute>"
    issue: str
    detail: str

    def __str__(self) -> str:
        return f"{self.env}: {self.policy}: {self.issue} {self.detail}".rstrip()


@dataclass(frozen=True)
class Ignore:
    """A finding accepted on purpose: matched by policy (glob) and issue, with its reason."""

    policy: str
    issue: str
    reason: str

    def matches(self, finding: Finding) -> bool:
        """True when this entry accepts ``finding``."""
        return finding.issue == self.issue and fnmatch.fnmatchcase(finding.policy, self.policy)


def lint(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(issue, detail)`` of every parliament finding in one policy document."""
    policy = parliament.analyze_policy_string(json.dumps(document), include_community_auditors=True)
    return [(finding.issue, _text(finding.detail)) for finding in policy.findings]


def findings(stacks: Iterable[rendered_stack.RenderedStack]) -> list[Finding]:
    """Every finding in the identity policies of ``stacks``."""
    found: list[Finding] = []
    for stack in stacks:
        for name, document in sorted(stack.identity_policies().items()):
            found += [Finding(stack.env, name, issue, detail) for issue, detail in lint(document)]
    return found


def load_ignores(path: Path = IGNORES_PATH) -> list[Ignore]:
    """The accepted findings; each entry needs ``policy``, ``issue`` and a non-empty ``reason``."""
    if not path.is_file():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = data.get("ignores") or []
    ignores: list[Ignore] = []
    for index, entry in enumerate(entries):
        missing = [key for key in ("policy", "issue", "reason") if not str(entry.get(key) or "")]
        if missing:
            raise ToolingError(
                f"{path}: ignores[{index}] has no {', '.join(missing)}",
                hint="every accepted parliament finding names its policy, its issue and why "
                "it is right",
            )
        ignores.append(Ignore(str(entry["policy"]), str(entry["issue"]), str(entry["reason"])))
    return ignores


def judge(
    found: Sequence[Finding], ignores: Sequence[Ignore]
) -> tuple[list[Finding], list[Ignore]]:
    """The findings no entry accepts, and the entries that accept nothing."""
    open_findings = [f for f in found if not any(i.matches(f) for i in ignores)]
    unused = [i for i in ignores if not any(i.matches(f) for f in found)]
    return open_findings, unused


def check(mirror_config: str | None = None) -> None:
    """Render every env's stack, lint its identity policies, raise unless all are clean."""
    if not any(paths.ENVS_DIR.glob("*/*.tf")):
        print("no env roots under terraform/envs: no policies to lint", flush=True)
        return
    stacks = list(rendered_stack.render_stacks(mirror_config).values())
    policies = sum(len(stack.identity_policies()) for stack in stacks)
    if policies == 0:
        raise ToolingError(
            "the rendered stacks hold no identity policy: nothing was linted",
            hint="see tooling/checks/rendered_stack.py IDENTITY_POLICY_ATTRIBUTES",
        )
    found = findings(stacks)
    ignores = load_ignores()
    open_findings, unused = judge(found, ignores)
    for stack in stacks:
        for name in sorted(stack.identity_policies()):
            print(f"  {stack.env}: {name}", flush=True)
    print(
        f"parliament {version('parliament')}: {policies} identity policies in "
        f"{len(stacks)} envs, {len(found)} findings, {len(found) - len(open_findings)} accepted "
        f"in {_shown(IGNORES_PATH)}",
        flush=True,
    )
    problems = [str(finding) for finding in open_findings] + [
        f"{IGNORES_PATH.name}: accepted finding no longer occurs: {i.policy} {i.issue}"
        for i in unused
    ]
    if problems:
        raise ToolingError(
            "parliament: " + "\n  ".join(["policy findings:", *problems]),
            hint="fix the policy in terraform/modules, or accept the finding in "
            f"{_shown(IGNORES_PATH)} with its reason",
        )


def main(argv: Sequence[str]) -> int:
    """Entry point of ``python -m tooling.checks.iam_policies [MIRROR]``."""
    try:
        check(argv[0] if argv else None)
    except ToolingError as error:
        print(f"✘ {error}", file=sys.stderr, flush=True)
        return 1
    return 0


def _shown(path: Path) -> str:
    return (
        str(path.relative_to(paths.REPO_ROOT))
        if path.is_relative_to(paths.REPO_ROOT)
        else str(path)
    )


def _text(detail: Any) -> str:
    return detail if isinstance(detail, str) else json.dumps(detail, sort_keys=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
