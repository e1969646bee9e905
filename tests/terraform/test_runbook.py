"""Every alarm has its own section in docs/runbook.md, and every link into the runbook resolves.

The alarms are read from the modules' HCL (python-hcl2), the runbook's anchors are computed the
way GitHub renders Markdown headings (github-slugger: lower case, punctuation dropped, each space
a hyphen, repeated headings suffixed -1, -2, …).
"""

from __future__ import annotations

import importlib
import re
import shlex
from collections import Counter
from pathlib import Path
from typing import Any

import hcl2
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNBOOK = REPO_ROOT / "docs" / "runbook.md"
MODULES_DIR = REPO_ROOT / "terraform" / "modules"
MONITORING_DIR = MODULES_DIR / "monitoring"
SHARED_MAIN = REPO_ROOT / "terraform" / "envs" / "_shared" / "main.tf"
# How an alarm description ends: `Runbook: ${local.runbook}#<anchor>`.
ALARM_LINK = re.compile(r"Runbook: \$\{local\.runbook\}#(\S+)$")
EACH_VALUE = re.compile(r"^\$\{each\.value\.(\w+)\}$")


def _task_flags() -> dict[str, set[str]]:
    """Every task of the real collection (`tasks.py`) and its long flags."""
    namespace = importlib.import_module("tasks").namespace
    return {
        name: {
            f"--{argument.name.replace('_', '-')}" for argument in namespace[name].get_arguments()
        }
        for name in namespace.task_names
    }


TASK_FLAGS = _task_flags()


def one(value: Any) -> Any:
    """Unwrap python-hcl2's single-element lists."""
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


def load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle)


def github_anchor(heading: str) -> str:
    """The slug GitHub gives a heading's rendered text (before de-duplication)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links and images: their text
    text = text.replace("`", "").replace("*", "")
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)  # \w: unicode letters, digits and "_" are kept
    return text.replace(" ", "-")


def runbook_anchors(markdown: str) -> set[str]:
    """Anchors of every ATX heading outside fenced code, with GitHub's -1, -2 suffixes."""
    anchors: set[str] = set()
    seen: Counter[str] = Counter()
    in_fence = False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            continue
        match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if in_fence or not match:
            continue
        slug = github_anchor(match.group(1))
        anchors.add(slug if seen[slug] == 0 else f"{slug}-{seen[slug]}")
        seen[slug] += 1
    return anchors


def sections(markdown: str) -> dict[str, str]:
    """Level-2 sections: anchor -> body."""
    parts = re.split(r"^## (.+)$", markdown, flags=re.MULTILINE)
    return {
        github_anchor(title): body for title, body in zip(parts[1::2], parts[2::2], strict=True)
    }


def alarm_links() -> dict[str, str]:
    """Every alarm instance in the modules -> the runbook anchor its description links to."""
    links: dict[str, str] = {}
    for path in sorted(MODULES_DIR.glob("*/*.tf")):
        for block in load(path).get("resource", []):
            for name, body in block.get("aws_cloudwatch_metric_alarm", {}).items():
                address = f"{path.parent.name}.{name}"
                match = ALARM_LINK.search(str(one(body.get("alarm_description", ""))))
                assert match, f"{address}: the description must end with its runbook link"
                anchor = match.group(1)
                each = EACH_VALUE.match(anchor)
                if each is None:
                    links[address] = anchor
                    continue
                # for_each alarms: the anchor is an attribute of each instance's literal value.
                instances = one(body["for_each"])
                assert isinstance(instances, dict), f"{address}: for_each must be a literal map"
                for key, value in instances.items():
                    links[f'{address}["{key}"]'] = one(value)[each.group(1)]
    return links


@pytest.fixture(scope="module")
def markdown() -> str:
    return RUNBOOK.read_text(encoding="utf-8")


def test_anchors_follow_githubs_rules():
    # GIVEN headings with case, punctuation, code, links and repeats WHEN slugged THEN as GitHub
    assert runbook_anchors(
        "# API 5xx\n## Failed events: waiting!\n### `invoke redrive` (dry run)\n"
        "## [Link](https://x) text\n## Twice\n## Twice\n```\n# not a heading\n```\n"
    ) == {
        "api-5xx",
        "failed-events-waiting",
        "invoke-redrive-dry-run",
        "link-text",
        "twice",
        "twice-1",
    }


def test_every_alarm_links_to_its_own_runbook_section(markdown):
    # GIVEN every alarm of every module and the runbook's anchors
    links = alarm_links()
    anchors = runbook_anchors(markdown)
    # WHEN each alarm's link is resolved
    unresolved = {address: anchor for address, anchor in links.items() if anchor not in anchors}
    shared = [anchor for anchor, count in Counter(links.values()).items() if count > 1]
    # THEN every anchor exists, and no two alarms share a section
    assert len(links) >= 9, links
    assert not unresolved, f"alarm links without a runbook section: {unresolved}"
    assert not shared, f"alarms sharing one section: {shared}"


def test_alarm_names_output_keys_are_the_runbook_sections():
    # GIVEN the monitoring module's alarm_names map (the root output operators read)
    locals_ = {
        key: one(value)
        for block in load(MONITORING_DIR / "alarms.tf")["locals"]
        for key, value in block.items()
    }
    keys = set(one(locals_["alarm_names"]))
    # WHEN its keys are written the runbook's way ("_" -> "-")
    # THEN they are exactly the anchors the alarms link to
    assert {key.replace("_", "-") for key in keys} == set(alarm_links().values())


def test_the_env_roots_link_the_alarms_to_docs_runbook_md():
    # GIVEN the shared root's monitoring call WHEN its runbook_url is read
    monitoring = next(
        one(block["monitoring"]) for block in load(SHARED_MAIN)["module"] if "monitoring" in block
    )
    # THEN it is this file on the default branch of the repository
    assert one(monitoring["runbook_url"]) == "https://${var.repository}/blob/main/docs/runbook.md"
    assert RUNBOOK.is_file()


def test_every_link_to_a_runbook_anchor_resolves(markdown):
    # GIVEN the runbook's own #links and every runbook.md#anchor in the Terraform and the docs
    anchors = runbook_anchors(markdown)
    targets = {
        f"docs/runbook.md (#{anchor})": anchor for anchor in re.findall(r"\]\(#([^)]+)\)", markdown)
    }
    for path in [
        *REPO_ROOT.glob("terraform/**/*.tf"),
        *REPO_ROOT.glob("docs/*.md"),
        REPO_ROOT / "README.md",
    ]:
        for anchor in re.findall(r"runbook\.md#([A-Za-z0-9_-]+)", path.read_text(encoding="utf-8")):
            targets[f"{path.relative_to(REPO_ROOT)} (#{anchor})"] = anchor
    # WHEN each is looked up THEN it exists
    assert targets
    assert not {where: anchor for where, anchor in targets.items() if anchor not in anchors}


def test_each_alarm_section_says_what_to_look_at_and_do(markdown):
    # GIVEN the dashboard's widget titles and the saved queries
    dashboard = load(MONITORING_DIR / "dashboard.tf")["locals"]
    widgets = {
        one(widget["title"])
        for block in dashboard
        for widget in one(block.get("metric_widgets", []))
    }
    queries = set(one(one(load(MONITORING_DIR / "queries.tf")["locals"])["queries"]))
    by_anchor = sections(markdown)
    for anchor in set(alarm_links().values()):
        body = by_anchor[anchor]
        look_at = next(line for line in body.splitlines() if "**Look at.**" in line)
        look_at += body.split("**Look at.**", 1)[1].split("\n- **", 1)[0]
        named_widgets = set(re.findall(r"\*\*([^*]+)\*\*", look_at)) - {"Look at."}
        named_queries = set(re.findall(r"`([a-z0-9]+(?:-[a-z0-9]+)+)`", look_at))
        # THEN it names existing widgets and queries, and has every part the runbook promises
        assert named_widgets, anchor
        assert named_widgets <= widgets, (anchor, named_widgets - widgets)
        assert named_queries, anchor
        assert named_queries <= queries, (anchor, named_queries - queries)
        for part in ("**What it means.**", "**What users see.**", "**Do.**", "**Escalate**"):
            assert part in body, (anchor, part)


def test_the_runbook_lists_every_saved_query(markdown):
    # GIVEN the saved queries WHEN the runbook's query table is read THEN it lists each, once
    queries = set(one(one(load(MONITORING_DIR / "queries.tf")["locals"])["queries"]))
    listed = re.findall(r"^\s*\| `([a-z0-9-]+)` \|", markdown, flags=re.MULTILINE)
    assert sorted(listed) == sorted(queries)


def test_operator_commands_are_the_contract_ones(markdown):
    # GIVEN every `invoke …` command the runbook tells an operator to run
    commands = re.findall(r"`invoke ([^`]+)`", markdown)
    assert commands
    for command in commands:
        task, *arguments = shlex.split(command.replace("|", " "))
        flags = {argument.split("=", 1)[0] for argument in arguments if argument.startswith("--")}
        # THEN each is a task of the real collection with only its own flags, and names the env
        # it acts on
        assert task in TASK_FLAGS, command
        assert flags <= TASK_FLAGS[task], (command, flags - TASK_FLAGS[task])
        assert "--env" in flags, command
