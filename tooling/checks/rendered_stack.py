"""The planned stack of an env with every policy document rendered, offline and deterministically.

Why this exists: the modules write their policies as ``data "aws_iam_policy_document"`` over
resources that do not exist yet, so a plan leaves every such JSON unknown (Terraform reads a
data source that depends on a resource being created only at apply). The proofs that no
emulator gives (parliament over the identity policies, calls versus grants) need the JSON the
provider will send to AWS, so it is rendered here with ``terraform test``: a generated harness
under ``.work/rendered/`` runs every env root as its module under test (with the env's
``terraform.tfvars`` and region), in two invocations of the real ``hashicorp/aws`` provider that
never reach AWS:

1. **plan** with every managed resource overridden (``override_resource``, no provider call)
   and ``aws_caller_identity`` overridden with the env's account: the plan lists every resource
   instance the env creates (``for_each``/``count`` keys included) with its configured names.
2. **apply** with every instance overridden again, now with the identifiers AWS would assign
   (:func:`assigned_values`: ARNs, ids, URLs built from the names, the region and the account),
   so the provider's own ``aws_iam_policy_document`` renders each document during the apply.
   ``-json -verbose`` prints the resulting state, which is what :class:`RenderedStack` holds.

Nothing is created anywhere: overridden resources are never sent to the provider, and the
provider is configured with placeholder credentials and no account lookup. The only provider
calls are the data sources that compute locally (``aws_iam_policy_document``, ``aws_region``,
``aws_partition``); a data source that would read from AWS is refused with a clear error.

Terraform tears the test states down after the runs and refuses to, because the stack's
resources have ``prevent_destroy``; that teardown error is expected and ignored once the run
itself passed and its state was printed.

The result is cached in ``.work/rendered/stacks.json``, keyed by the content of the modules, the
env roots and this file, so ``invoke check`` and the tests render once per change; a lock file
keeps two processes (``check`` and pytest) from rendering into the same harness at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import botocore.session

from tooling.core import envs, paths, tfvars, tools
from tooling.core.errors import ToolingError
from tooling.tf.runner import TerraformRunner

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

RENDER_DIR = paths.WORK_DIR / "rendered"
TEST_FILE_NAME = "render.tftest.hcl"
RUN_NAME = "render"
# Bump when the rendered format changes, so cached renders are not reused.
FORMAT_VERSION = 1

# Root variables that no terraform.tfvars sets (the tooling passes them): placeholder values.
# The policies do not depend on them.
PLACEHOLDER_VARIABLES: dict[str, str] = {
    "package_path": "handler.zip",
    "package_base64sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    "emulator_endpoint": "http://127.0.0.1:9",
}

# Data sources the provider answers without calling AWS.
LOCAL_DATA_SOURCES = frozenset({"aws_iam_policy_document", "aws_region", "aws_partition"})

# Attributes holding identity-based policies (what a principal may do), by resource type.
IDENTITY_POLICY_ATTRIBUTES: dict[str, str] = {
    "aws_iam_role_policy": "policy",
    "aws_iam_policy": "policy",
    "aws_iam_user_policy": "policy",
    "aws_iam_group_policy": "policy",
}
# Attributes holding resource-based policies (who may act on the resource), by resource type.
RESOURCE_POLICY_ATTRIBUTES: dict[str, str] = {
    "aws_iam_role": "assume_role_policy",
    "aws_kms_key": "policy",
    "aws_s3_bucket_policy": "policy",
    "aws_sns_topic_policy": "policy",
    "aws_sqs_queue_policy": "policy",
    "aws_api_gateway_rest_api_policy": "policy",
}


@dataclass(frozen=True)
class EnvFacts:
    """Where an env's stack lives: what the provider would learn from AWS at plan time."""

    region: str
    account_id: str
    partition: str


@dataclass(frozen=True)
class Resource:
    """One resource or data source instance of the rendered stack."""

    address: str
    type: str
    mode: str  # "managed" or "data"
    values: Mapping[str, Any]


@dataclass(frozen=True)
class RenderedStack:
    """An env's planned stack, every attribute known, every policy document rendered."""

    env: str
    facts: EnvFacts
    resources: Mapping[str, Resource]

    def of_type(self, resource_type: str) -> list[Resource]:
        """The managed instances of one resource type, by address."""
        return [
            resource
            for _, resource in sorted(self.resources.items())
            if resource.type == resource_type and resource.mode == "managed"
        ]

    def identity_policies(self) -> dict[str, dict[str, Any]]:
        """Every identity-based policy document, keyed ``<address>.<attribute>``."""
        return self._documents(IDENTITY_POLICY_ATTRIBUTES)

    def resource_policies(self) -> dict[str, dict[str, Any]]:
        """Every resource-based policy document, keyed ``<address>.<attribute>``."""
        return self._documents(RESOURCE_POLICY_ATTRIBUTES)

    def _documents(self, attributes: Mapping[str, str]) -> dict[str, dict[str, Any]]:
        documents: dict[str, dict[str, Any]] = {}
        for resource_type, attribute in attributes.items():
            for resource in self.of_type(resource_type):
                text = resource.values.get(attribute)
                if text:
                    documents[f"{resource.address}.{attribute}"] = json.loads(text)
        for resource in self.of_type("aws_iam_role"):
            for inline in resource.values.get("inline_policy") or []:
                if inline.get("policy"):
                    key = f"{resource.address}.inline_policy[{inline.get('name')}]"
                    documents[key] = json.loads(inline["policy"])
        return documents

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable form (the cache file)."""
        return {
            "env": self.env,
            "facts": {
                "region": self.facts.region,
                "account_id": self.facts.account_id,
                "partition": self.facts.partition,
            },
            "resources": {
                address: {"type": r.type, "mode": r.mode, "values": r.values}
                for address, r in sorted(self.resources.items())
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RenderedStack:
        """The inverse of :meth:`to_json`."""
        return cls(
            env=data["env"],
            facts=EnvFacts(**data["facts"]),
            resources={
                address: Resource(address, item["type"], item["mode"], item["values"])
                for address, item in data["resources"].items()
            },
        )


# ---------------------------------------------------------------------------------------------
# Public entry points


def render_stacks(mirror_config: str | None = None) -> dict[str, RenderedStack]:
    """The rendered stack of every env that has a root (from the cache when nothing changed)."""
    roots = {env: envs.env_root(env) for env in envs.ENVS}
    roots = {env: root for env, root in roots.items() if any(root.glob("*.tf"))}
    if not roots:
        raise ToolingError("no env root has Terraform files", hint="nothing to render")
    key = input_digest(roots.values())
    cache = RENDER_DIR / "stacks.json"
    RENDER_DIR.mkdir(parents=True, exist_ok=True)
    with (RENDER_DIR / "render.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if cache.is_file():
            cached = json.loads(cache.read_text(encoding="utf-8"))
            if cached.get("key") == key:
                stacks = cached["stacks"]
                return {env: RenderedStack.from_json(item) for env, item in stacks.items()}
        rendered = _render_uncached(roots, mirror_config)
        partial = cache.with_name(f"{cache.name}.{uuid.uuid4().hex}.partial")
        document = {"key": key, "stacks": {env: s.to_json() for env, s in rendered.items()}}
        partial.write_text(json.dumps(document), encoding="utf-8")
        partial.replace(cache)
        return rendered


def render(env: str, mirror_config: str | None = None) -> RenderedStack:
    """The rendered stack of one env."""
    env = envs.resolve_env(env)
    stacks = render_stacks(mirror_config)
    if env not in stacks:
        raise ToolingError(
            f"env {env!r} has no Terraform root to render",
            hint=f"valid envs with a root: {', '.join(sorted(stacks))}",
        )
    return stacks[env]


def input_digest(roots: Iterable[Path]) -> str:
    """A digest of everything a render depends on: modules, the env roots, this renderer."""
    digest = hashlib.sha256(f"format {FORMAT_VERSION}\n".encode())
    sources = [
        *(p for p in sorted(paths.MODULES_DIR.rglob("*")) if _is_source(p)),
        *(p for root in roots for p in sorted(root.iterdir()) if p.is_file()),
        Path(__file__),
    ]
    for path in sources:
        digest.update(str(path.relative_to(paths.REPO_ROOT)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def env_facts(root: Path) -> EnvFacts:
    """Region and account of an env root, from its ``terraform.tfvars`` (``region`` and the
    first of ``allowed_account_ids``: the account the provider would be allowed to reach)."""
    values = tfvars.read_tfvars(root / tfvars.TFVARS_NAME)
    region = values.get("region") if isinstance(values.get("region"), str) else ""
    accounts = [str(account) for account in values.get("allowed_account_ids") or []]
    if not region or not accounts:
        raise ToolingError(
            f"{root / 'terraform.tfvars'} sets no region or no allowed_account_ids",
            hint="every env names its region and account in its terraform.tfvars",
        )
    partition = botocore.session.get_session().get_partition_for_region(region)
    return EnvFacts(region=region, account_id=accounts[0], partition=partition)


# ---------------------------------------------------------------------------------------------
# The two terraform test runs


@dataclass(frozen=True)
class _EnvRun:
    """One env's run block: the env root as the module under test, its own provider."""

    env: str
    root: Path
    facts: EnvFacts
    source: str  # the root's path relative to the harness
    variables: str  # HCL attribute lines: the env's terraform.tfvars plus placeholders
    data_overrides: tuple[str, ...]


def _render_uncached(
    roots: Mapping[str, Path], mirror_config: str | None
) -> dict[str, RenderedStack]:
    harness = _harness(roots)
    runner = TerraformRunner(
        harness,
        RENDER_DIR / "data",
        provider_mirror=tools.provider_mirror(mirror_config),
        color=False,
    )
    runs: list[_EnvRun] = []
    blocks: dict[str, list[tuple[str, str]]] = {}
    for env, root in roots.items():
        blocks[env] = list(_module_blocks(root, ""))
        runs.append(
            _EnvRun(
                env=env,
                root=root,
                facts=env_facts(root),
                source=Path(os.path.relpath(root, harness)).as_posix(),
                variables=_run_variables(root),
                data_overrides=tuple(_data_overrides(blocks[env], env_facts(root))),
            )
        )

    # 1. plan: every resource overridden as a block, to learn the instances and their names.
    overrides = {
        run.env: [
            _override_block("override_resource", address, {})
            for kind, address in blocks[run.env]
            if kind
        ]
        for run in runs
    }
    _write_test(harness, runs, overrides, "plan")
    runner.init(backend=False)
    plans = _terraform_test(runner, [run.env for run in runs], "test_plan")

    # 2. apply: every instance overridden with what AWS would assign; the provider renders the
    # policy documents during the apply.
    for run in runs:
        overrides[run.env] = [
            _override_block(
                "override_resource",
                change["address"],
                assigned_values(
                    change["type"], change["address"], change["change"]["after"], run.facts
                ),
            )
            for change in plans[run.env].get("resource_changes", [])
            if change.get("mode") == "managed"
        ]
    _write_test(harness, runs, overrides, "apply")
    states = _terraform_test(runner, [run.env for run in runs], "test_state")
    return {
        run.env: RenderedStack(
            env=run.env, facts=run.facts, resources=dict(_state_resources(states[run.env]))
        )
        for run in runs
    }


def _harness(roots: Mapping[str, Path]) -> Path:
    """An empty configuration under ``.work/rendered/`` whose test file runs each env root as
    its module under test (``terraform test`` only reads test files inside the configuration
    directory, so the env roots themselves are left untouched)."""
    harness = RENDER_DIR / "harness"
    if harness.exists():
        shutil.rmtree(harness)
    (harness / "tests").mkdir(parents=True)
    (harness / "main.tf").write_text(
        "# Generated by tooling/checks/rendered_stack.py: the env roots are tested as modules.\n"
        'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n',
        encoding="utf-8",
    )
    lock = next(
        (
            root / ".terraform.lock.hcl"
            for root in roots.values()
            if (root / ".terraform.lock.hcl").is_file()
        ),
        None,
    )
    if lock is not None:  # the same provider version as the envs
        shutil.copy2(lock, harness / lock.name)
    return harness


def _module_blocks(directory: Path, prefix: str) -> Iterator[tuple[str, str]]:
    """``(kind, address)`` of every resource (kind ``"resource"``) and data source (kind ``""``,
    address ``<prefix>data.TYPE.NAME``) of a module and of the local modules it calls."""
    for path in sorted(directory.glob("*.tf")):
        parsed = tfvars.read_hcl(path)
        for block in parsed.get("resource", []):
            for resource_type, named in block.items():
                for name in named:
                    yield "resource", f"{prefix}{resource_type}.{tfvars.unquote(name)}"
        for block in parsed.get("data", []):
            for data_type, named in block.items():
                for name in named:
                    yield "", f"{prefix}data.{data_type}.{tfvars.unquote(name)}"
        for block in parsed.get("module", []):
            for name, body in block.items():
                source = str(tfvars.attribute_value(body.get("source")) or "")
                if not source.startswith(("./", "../")):
                    raise ToolingError(
                        f"module {prefix}module.{tfvars.unquote(name)} comes from {source!r}: only "
                        "local modules can be rendered offline",
                        hint="vendor the module under terraform/modules",
                    )
                yield from _module_blocks(
                    (directory / source).resolve(), f"{prefix}module.{tfvars.unquote(name)}."
                )


def _data_overrides(blocks: Iterable[tuple[str, str]], facts: EnvFacts) -> Iterator[str]:
    for kind, address in blocks:
        if kind:
            continue
        data_type = address.split("data.", 1)[1].split(".")[0]
        if data_type == "aws_caller_identity":
            values = {
                "account_id": facts.account_id,
                "arn": f"arn:{facts.partition}:iam::{facts.account_id}:root",
                "id": facts.account_id,
                "user_id": facts.account_id,
            }
            yield _override_block("override_data", address, values)
        elif data_type not in LOCAL_DATA_SOURCES:
            raise ToolingError(
                f"{address} reads from AWS: the policies cannot be rendered offline with it",
                hint="give it known values in tooling/checks/rendered_stack.py "
                "(_data_overrides), as aws_caller_identity has",
            )


def _run_variables(root: Path) -> str:
    """The env's ``terraform.tfvars`` (its text: the run's ``variables`` block has the same
    syntax), plus placeholders for root variables without a default or a tfvars value."""
    tfvars_path = root / "terraform.tfvars"
    text = tfvars_path.read_text(encoding="utf-8") if tfvars_path.is_file() else ""
    values = tfvars.read_tfvars(tfvars_path)
    lines = [text.rstrip()]
    for path in sorted(root.glob("*.tf")):
        for block in tfvars.read_hcl(path).get("variable", []):
            for raw_name, body in block.items():
                name = tfvars.unquote(raw_name)
                if "default" in body or name in values:
                    continue
                if name not in PLACEHOLDER_VARIABLES:
                    raise ToolingError(
                        f"root variable {name!r} of {root} has no default and no "
                        "terraform.tfvars value",
                        hint="add a placeholder for it to PLACEHOLDER_VARIABLES in "
                        "tooling/checks/rendered_stack.py",
                    )
                lines.append(f"{name} = {json.dumps(PLACEHOLDER_VARIABLES[name])}")
    return "\n".join(lines)


def _write_test(
    harness: Path, runs: Sequence[_EnvRun], overrides: Mapping[str, Sequence[str]], command: str
) -> None:
    lines = ["# Generated by tooling/checks/rendered_stack.py: renders the stacks offline.", ""]
    for run in runs:
        lines += [
            'provider "aws" {',
            f"  alias                       = {json.dumps(run.env)}",
            f"  region                      = {json.dumps(run.facts.region)}",
            '  access_key                  = "placeholder"',
            '  secret_key                  = "placeholder"',
            "  skip_credentials_validation = true",
            "  skip_requesting_account_id  = true",
            "  skip_metadata_api_check     = true",
            "  skip_region_validation      = true",
            "  max_retries                 = 0",
            "}",
            "",
        ]
    for run in runs:
        lines += [
            f"run {json.dumps(run.env)} {{",
            f"  command   = {command}",
            f"  providers = {{ aws = aws.{run.env} }}",
            "",
            "  module {",
            f"    source = {json.dumps(run.source)}",
            "  }",
            "",
            "  variables {",
            run.variables,
            "  }",
            "",
            *run.data_overrides,
            *overrides[run.env],
            "}",
            "",
        ]
    (harness / "tests" / TEST_FILE_NAME).write_text("\n".join(lines), encoding="utf-8")


def _override_block(kind: str, address: str, values: Mapping[str, str]) -> str:
    lines = [f"  {kind} {{", f"    target = {address}"]
    if values:
        lines.append("    values = {")
        lines += [f"      {name} = {json.dumps(value)}" for name, value in sorted(values.items())]
        lines.append("    }")
    lines.append("  }")
    return "\n".join(lines)


def _terraform_test(
    runner: TerraformRunner, run_names: Sequence[str], wanted: str
) -> dict[str, dict[str, Any]]:
    """Run ``terraform test -json -verbose``; return each run's printed plan or state."""
    # Exit code 1 is expected after the apply runs: the teardown refuses to destroy resources
    # with prevent_destroy. Success is judged from each run's own status below.
    result = runner.run("test", "-json", "-verbose", "-no-color", capture=True, ok_codes=(0, 1))
    status: dict[str, str] = {}
    printed: dict[str, dict[str, Any]] = {}
    errors: list[str] = []
    for line in result.stdout.splitlines():
        if not line.startswith("{"):
            continue
        message = json.loads(line)
        kind = message.get("type")
        run = message.get("@testrun")
        if kind == "test_run" and message["test_run"].get("status"):
            status[message["test_run"]["run"]] = message["test_run"]["status"]
        elif kind == wanted and run in run_names:
            printed[run] = message[wanted]
        elif kind == "diagnostic" and message["diagnostic"].get("severity") == "error":
            diagnostic = message["diagnostic"]
            summary = f"{diagnostic.get('summary')}: {diagnostic.get('detail', '')}".strip()
            errors.append(f"[{run or 'test'}] {summary}")
    failed = [name for name in run_names if status.get(name) != "pass" or name not in printed]
    if failed:
        relevant = [error for error in errors if "Instance cannot be destroyed" not in error]
        detail = "\n".join(f"    {error}" for error in dict.fromkeys(relevant)) or "    (none)"
        raise ToolingError(
            f"rendering the stacks of {', '.join(failed)} failed\n  errors:\n{detail}",
            hint=f"the generated test is {runner.root_dir / 'tests' / TEST_FILE_NAME}; fix the "
            "cause named above",
        )
    return printed


def _state_resources(state: Mapping[str, Any]) -> Iterator[tuple[str, Resource]]:
    def walk(module: Mapping[str, Any]) -> Iterator[tuple[str, Resource]]:
        for item in module.get("resources", []):
            values = item.get("values") or {}
            yield item["address"], Resource(item["address"], item["type"], item["mode"], values)
        for child in module.get("child_modules", []):
            yield from walk(child)

    return walk(state.get("root_module", {}))


# ---------------------------------------------------------------------------------------------
# What AWS would assign


def assigned_values(
    resource_type: str, address: str, planned: Mapping[str, Any] | None, facts: EnvFacts
) -> dict[str, str]:
    """The identifiers AWS assigns to a new resource (its ARN, id, URL), from its configured
    name, the env's region and account — the formats of the AWS documentation and of what the
    provider reads back. Types that no policy refers to get none (Terraform then makes up
    values). Random parts (a KMS key id, a REST API id) are derived from the address, so
    renders are reproducible."""
    formatter = _ASSIGNED.get(resource_type)
    if formatter is None:
        return {}
    return formatter(planned or {}, address, facts)


def _stable_id(address: str, length: int) -> str:
    return hashlib.sha256(address.encode()).hexdigest()[:length]


def _kms_key(_: Mapping[str, Any], address: str, f: EnvFacts) -> dict[str, str]:
    key_id = str(uuid.uuid5(uuid.NAMESPACE_URL, address))
    arn = f"arn:{f.partition}:kms:{f.region}:{f.account_id}:key/{key_id}"
    return {"arn": arn, "id": key_id, "key_id": key_id}


def _iam_role(p: Mapping[str, Any], address: str, f: EnvFacts) -> dict[str, str]:
    name = p.get("name")
    if not name:
        return {}
    path = p.get("path") or "/"
    return {
        "arn": f"arn:{f.partition}:iam::{f.account_id}:role{path}{name}",
        "id": name,
        "unique_id": "AROA" + _stable_id(address, 17).upper(),
    }


def _iam_policy(p: Mapping[str, Any], address: str, f: EnvFacts) -> dict[str, str]:
    name = p.get("name")
    if not name:
        return {}
    arn = f"arn:{f.partition}:iam::{f.account_id}:policy{p.get('path') or '/'}{name}"
    return {"arn": arn, "id": arn, "policy_id": "ANPA" + _stable_id(address, 17).upper()}


def _s3_bucket(p: Mapping[str, Any], _: str, f: EnvFacts) -> dict[str, str]:
    bucket = p.get("bucket")
    if not bucket:
        return {}
    return {
        "arn": f"arn:{f.partition}:s3:::{bucket}",
        "id": bucket,
        "bucket_domain_name": f"{bucket}.s3.amazonaws.com",
        "bucket_regional_domain_name": f"{bucket}.s3.{f.region}.amazonaws.com",
    }


def _regional(service: str, resource: str) -> Callable[..., dict[str, str]]:
    """``arn:<p>:<service>:<region>:<account>:<resource with {name}>``, id = the name."""

    def values(p: Mapping[str, Any], _: str, f: EnvFacts) -> dict[str, str]:
        name = p.get("name") or p.get("function_name") or p.get("alarm_name")
        if not name:
            return {}
        arn = f"arn:{f.partition}:{service}:{f.region}:{f.account_id}:{resource.format(name=name)}"
        return {"arn": arn, "id": name}

    return values


def _sns_topic(p: Mapping[str, Any], address: str, f: EnvFacts) -> dict[str, str]:
    values = _regional("sns", "{name}")(p, address, f)
    return {**values, "id": values["arn"]} if values else {}


def _sqs_queue(p: Mapping[str, Any], address: str, f: EnvFacts) -> dict[str, str]:
    values = _regional("sqs", "{name}")(p, address, f)
    if not values:
        return {}
    url = f"https://sqs.{f.region}.amazonaws.com/{f.account_id}/{values['id']}"
    return {**values, "id": url, "url": url}


def _lambda_function(p: Mapping[str, Any], address: str, f: EnvFacts) -> dict[str, str]:
    values = _regional("lambda", "function:{name}")(p, address, f)
    if not values:
        return {}
    arn = values["arn"]

    def invoke(target: str) -> str:
        return (
            f"arn:{f.partition}:apigateway:{f.region}:lambda:path/2015-03-31/functions/"
            f"{target}/invocations"
        )

    return {
        **values,
        "invoke_arn": invoke(arn),
        "qualified_arn": f"{arn}:$LATEST",
        "qualified_invoke_arn": invoke(f"{arn}:$LATEST"),
        "version": "$LATEST",
    }


def _rest_api(_: Mapping[str, Any], address: str, f: EnvFacts) -> dict[str, str]:
    api_id = _stable_id(address, 10)
    return {
        "id": api_id,
        "root_resource_id": _stable_id(f"{address}/", 10),
        "arn": f"arn:{f.partition}:apigateway:{f.region}::/restapis/{api_id}",
        "execution_arn": f"arn:{f.partition}:execute-api:{f.region}:{f.account_id}:{api_id}",
    }


_ASSIGNED: dict[str, Callable[[Mapping[str, Any], str, EnvFacts], dict[str, str]]] = {
    "aws_kms_key": _kms_key,
    "aws_iam_role": _iam_role,
    "aws_iam_policy": _iam_policy,
    "aws_s3_bucket": _s3_bucket,
    "aws_sns_topic": _sns_topic,
    "aws_sqs_queue": _sqs_queue,
    "aws_dynamodb_table": _regional("dynamodb", "table/{name}"),
    # The provider's log group ARN has no ":*" suffix (hashicorp/aws >= 5.0).
    "aws_cloudwatch_log_group": _regional("logs", "log-group:{name}"),
    "aws_cloudwatch_metric_alarm": _regional("cloudwatch", "alarm:{name}"),
    "aws_lambda_function": _lambda_function,
    "aws_api_gateway_rest_api": _rest_api,
}


# ---------------------------------------------------------------------------------------------
# files


def _is_source(path: Path) -> bool:
    return path.is_file() and ".terraform" not in path.parts and path.suffix in {".tf", ".hcl"}
