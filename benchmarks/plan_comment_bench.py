"""Plan-comment benchmark: render time and size on the real-Terraform fixtures. One command:

    .venv/bin/python benchmarks/plan_comment_bench.py [--runs 20]

For each fixture in tests/tooling/plan/fixtures/ (plan JSON + plan text), renders the comment `runs`
times and prints the median render time, the plan text size and the comment size (which must
stay under GitHub's 65,536-character limit). No target beyond that limit: the renderer runs once
per env per workflow run, so seconds would be fine; the figure is here to catch a regression
that makes it quadratic (masking every secret over a huge plan text is the expensive part).
Results and the machine are recorded in docs/benchmarks/gitops.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

# Run as a script from anywhere: the repo root (for `tooling`) goes on sys.path first.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tooling.gitops import comment

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "tooling" / "plan" / "fixtures"
SCENARIOS = ("no_changes", "destroy", "replace", "code_only", "sensitive", "huge")


def bench(name: str, runs: int) -> dict[str, float | int | str]:
    """Median render time (ms) and sizes for one fixture."""
    plan = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    text = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")
    timings = []
    body = ""
    for _ in range(runs):
        start = time.perf_counter()
        body = comment.render(plan, "prod", text)
        timings.append(time.perf_counter() - start)
    return {
        "scenario": name,
        "resources": len(plan.get("resource_changes") or []),
        "plan_text_chars": len(text),
        "comment_chars": len(body),
        "median_ms": round(statistics.median(timings) * 1000, 2),
    }


def main() -> int:
    """Print one table row per fixture, then the rows as JSON; exit 1 if a comment is too big."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {args.runs} runs each")
    rows = [bench(name, args.runs) for name in SCENARIOS]
    print("| scenario | resources | plan text chars | comment chars | median render ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row['scenario']} | {row['resources']} | {row['plan_text_chars']} | "
            f"{row['comment_chars']} | {row['median_ms']} |"
        )
    print(json.dumps(rows))
    too_big = [r for r in rows if int(r["comment_chars"]) >= comment.GITHUB_COMMENT_LIMIT]
    return 1 if too_big else 0


if __name__ == "__main__":
    sys.exit(main())
