"""Preparing a Terraform root to run against the embedded AWS emulator (moto server).

Every env runs on the emulator the same way, ``local`` always and the real envs with
``--emulated``, the way tflocal does it, without touching the real root: the root is copied to
``terraform/envs/<env>.emulated/`` (git-ignored; same depth, so ``../../modules`` still
resolves) and a generated ``emulator_override.tf`` merges into it

* a ``local`` backend with its state under the env's emulated work dir (``.work/local/``,
  ``.work/<env>-emulated/``) — never a real env's S3 state, and never ``.work/<env>/`` where the
  real env's plans live;
* for every ``aws`` provider block (each alias): every service endpoint → the emulator,
  ``s3_use_path_style``, the credential/metadata/region checks skipped, and
  ``allowed_account_ids`` = the env's own moto account, so the account guard still holds.

So ``terraform/envs/local/`` holds only its values, like every other env.

Each env lives in its own moto account (:func:`tooling.core.envs.emulated_account_id`), as
each real env lives in its own AWS account: account-wide settings such as API Gateway's
CloudWatch role of one env never show up as a change in another env's plan.

Credentials are not written into HCL (checkov flags static keys in providers, and the copy sits
under ``terraform/``): they travel in :attr:`EmulatedRoot.environment`, which also carries the
region and ``AWS_ENDPOINT_URL`` as a catch-all for any endpoint the provider resolves on its own.

Before returning, the emulator is started if needed and state written against an earlier
emulator instance is dropped, for this env and every other env deployed to the same emulator
(see :func:`tooling.emulator.lifecycle.reset_stale_states`, which says which envs it reset).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tooling.core import envs, paths, tfvars, tools
from tooling.core.errors import ToolingError
from tooling.core.local_aws import MOTO_ACCOUNT_ID
from tooling.emulator import lifecycle

if TYPE_CHECKING:
    from collections.abc import Iterable

OVERRIDE_FILE = "emulator_override.tf"
EMULATED_SUFFIX = ".emulated"

# Every `endpoints` argument of hashicorp/aws 5.100 (from `terraform providers schema -json`),
# one name per service: the provider warns when two aliases of one service are both set, so the
# aliases (s3api, cloudwatchlogs, eventbridge, …) are left out. moto serves all services on one
# port, so all of them point at the same URL.
AWS_ENDPOINT_SERVICES: tuple[str, ...] = (
    "accessanalyzer",
    "account",
    "acm",
    "acmpca",
    "amp",
    "amplify",
    "apigateway",
    "apigatewayv2",
    "appautoscaling",
    "appconfig",
    "appfabric",
    "appflow",
    "appintegrations",
    "applicationinsights",
    "applicationsignals",
    "appmesh",
    "apprunner",
    "appstream",
    "appsync",
    "athena",
    "auditmanager",
    "autoscaling",
    "autoscalingplans",
    "backup",
    "batch",
    "bcmdataexports",
    "bedrock",
    "bedrockagent",
    "billing",
    "budgets",
    "ce",
    "chatbot",
    "chime",
    "chimesdkmediapipelines",
    "chimesdkvoice",
    "cleanrooms",
    "cloud9",
    "cloudcontrol",
    "cloudformation",
    "cloudfront",
    "cloudfrontkeyvaluestore",
    "cloudhsmv2",
    "cloudsearch",
    "cloudtrail",
    "cloudwatch",
    "codeartifact",
    "codebuild",
    "codecatalyst",
    "codecommit",
    "codeconnections",
    "codeguruprofiler",
    "codegurureviewer",
    "codepipeline",
    "codestarconnections",
    "codestarnotifications",
    "cognitoidentity",
    "cognitoidp",
    "comprehend",
    "computeoptimizer",
    "configservice",
    "connect",
    "connectcases",
    "controltower",
    "costoptimizationhub",
    "cur",
    "customerprofiles",
    "databrew",
    "dataexchange",
    "datapipeline",
    "datasync",
    "datazone",
    "dax",
    "deploy",
    "detective",
    "devicefarm",
    "devopsguru",
    "directconnect",
    "dlm",
    "dms",
    "docdb",
    "docdbelastic",
    "drs",
    "ds",
    "dsql",
    "dynamodb",
    "ec2",
    "ecr",
    "ecrpublic",
    "ecs",
    "efs",
    "eks",
    "elasticache",
    "elasticbeanstalk",
    "elasticsearch",
    "elastictranscoder",
    "elb",
    "elbv2",
    "emr",
    "emrcontainers",
    "emrserverless",
    "events",
    "evidently",
    "evs",
    "finspace",
    "firehose",
    "fis",
    "fms",
    "fsx",
    "gamelift",
    "glacier",
    "globalaccelerator",
    "glue",
    "grafana",
    "greengrass",
    "groundstation",
    "guardduty",
    "healthlake",
    "iam",
    "identitystore",
    "imagebuilder",
    "inspector",
    "inspector2",
    "internetmonitor",
    "invoicing",
    "iot",
    "iotanalytics",
    "iotevents",
    "ivs",
    "ivschat",
    "kafka",
    "kafkaconnect",
    "kendra",
    "keyspaces",
    "kinesis",
    "kinesisanalytics",
    "kinesisanalyticsv2",
    "kinesisvideo",
    "kms",
    "lakeformation",
    "lambda",
    "launchwizard",
    "lexmodels",
    "lexv2models",
    "licensemanager",
    "lightsail",
    "location",
    "logs",
    "lookoutmetrics",
    "m2",
    "macie2",
    "mediaconnect",
    "mediaconvert",
    "medialive",
    "mediapackage",
    "mediapackagev2",
    "mediapackagevod",
    "mediastore",
    "memorydb",
    "mgn",
    "mq",
    "mwaa",
    "neptune",
    "neptunegraph",
    "networkfirewall",
    "networkmanager",
    "networkmonitor",
    "notifications",
    "notificationscontacts",
    "oam",
    "opensearch",
    "opensearchserverless",
    "opsworks",
    "organizations",
    "osis",
    "outposts",
    "paymentcryptography",
    "pcaconnectorad",
    "pcs",
    "pinpoint",
    "pinpointsmsvoicev2",
    "pipes",
    "polly",
    "pricing",
    "qbusiness",
    "qldb",
    "quicksight",
    "ram",
    "rbin",
    "rds",
    "redshift",
    "redshiftdata",
    "redshiftserverless",
    "rekognition",
    "resiliencehub",
    "resourceexplorer2",
    "resourcegroups",
    "resourcegroupstaggingapi",
    "rolesanywhere",
    "route53",
    "route53domains",
    "route53profiles",
    "route53recoverycontrolconfig",
    "route53recoveryreadiness",
    "route53resolver",
    "rum",
    "s3",
    "s3control",
    "s3outposts",
    "s3tables",
    "sagemaker",
    "scheduler",
    "schemas",
    "secretsmanager",
    "securityhub",
    "securitylake",
    "serverlessrepo",
    "servicecatalog",
    "servicecatalogappregistry",
    "servicediscovery",
    "servicequotas",
    "ses",
    "sesv2",
    "sfn",
    "shield",
    "signer",
    "simpledb",
    "sns",
    "sqs",
    "ssm",
    "ssmcontacts",
    "ssmincidents",
    "ssmquicksetup",
    "ssmsap",
    "sso",
    "ssoadmin",
    "storagegateway",
    "sts",
    "swf",
    "synthetics",
    "taxsettings",
    "timestreaminfluxdb",
    "timestreamquery",
    "timestreamwrite",
    "transcribe",
    "transfer",
    "verifiedpermissions",
    "vpclattice",
    "waf",
    "wafregional",
    "wafv2",
    "wellarchitected",
    "worklink",
    "workspaces",
    "workspacesweb",
    "xray",
)


@dataclass(frozen=True)
class EmulatedRoot:
    """A Terraform root ready to run against the emulator, and how to run it."""

    root_dir: Path
    variables: dict[str, str] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)
    # Where this root's state, saved plan and TF_DATA_DIR belong (kept apart from the real env's).
    work_dir: Path | None = None
    # The moto account the env lives in, and the emulator endpoint it was prepared for.
    account_id: str = ""
    endpoint: str = ""


# Emulator-only values for the local env, passed as -var so that terraform.tfvars (what checkov
# and reviewers read) keeps the production-shaped settings. Lifecycle rules: after writing them the
# provider re-reads them until ten reads 5 s apart agree (55 s, the floor of every local apply,
# docs/benchmarks/deploy.md); object expiry means nothing in an in-memory emulator.
# `prod --emulated` keeps the rules, so the suite still proves they apply and re-plan cleanly.
LOCAL_ONLY_VARIABLES: dict[str, str] = {"bucket_lifecycle_rules": "false"}


def prepare_emulated_root(
    env: str,
    *,
    emulator_instance: lifecycle.Emulator | None = None,
    envs_dir: Path | None = None,
    work_root: Path | None = None,
) -> EmulatedRoot:
    """Start the emulator if needed, reset stale state, and return the root to run ``env`` in.

    ``emulator_instance``, ``envs_dir`` and ``work_root`` default to the project's own
    (:func:`tooling.emulator.lifecycle.default_emulator`, ``terraform/envs``, ``.work``); tests
    pass theirs.
    """
    name = envs.resolve_env(env)
    chosen = emulator_instance or lifecycle.default_emulator()
    envs_root = envs_dir or paths.ENVS_DIR
    source = envs_root / name
    if not source.is_dir() or not any(source.glob("*.tf")):
        raise ToolingError(
            f"the {name} env has no Terraform root at {source}",
            hint="the env roots live in terraform/envs/<env>/ (main.tf, providers.tf, …)",
        )
    endpoint = lifecycle.ensure_running(chosen)
    work_dir = envs.work_dir(name, emulated=True, work_root=work_root)
    account_id = envs.emulated_account_id(name, envs_root)
    lifecycle.reset_stale_states(chosen, work_dir, account_id=account_id, work_root=work_root)
    environment = lifecycle.fake_aws_environment(
        chosen, envs.region(name, envs_root), lifecycle.account_credentials(chosen, account_id)
    )
    target = envs_root / f"{name}{EMULATED_SUFFIX}"
    copy_root(source, target)
    override = target / OVERRIDE_FILE
    override.write_text(
        render_override(
            state_path=Path(os.path.relpath(work_dir / "terraform.tfstate", target)),
            endpoint=endpoint,
            provider_aliases=provider_aliases(source),
            account_id=account_id,
        )
    )
    _format(override)
    variables = dict(LOCAL_ONLY_VARIABLES) if name == envs.LOCAL_ENV else {}
    return EmulatedRoot(target, variables, environment, work_dir, account_id, endpoint)


def emulated_aws_environment(
    env: str, *, emulator_instance: lifecycle.Emulator | None = None
) -> dict[str, str]:
    """The environment (endpoint, region, credentials of the env's own moto account) under which
    boto3 reaches what ``env`` deployed to the emulator; what a canary or ``invoke local`` on
    ``ENV --emulated`` signs with. Starts the emulator when it is not running."""
    name = envs.resolve_env(env)
    chosen = emulator_instance or lifecycle.default_emulator()
    lifecycle.ensure_running(chosen)
    credentials = lifecycle.account_credentials(chosen, envs.emulated_account_id(name))
    return lifecycle.fake_aws_environment(chosen, envs.region(name), credentials)


def copy_root(source: Path, target: Path) -> None:
    """Replace ``target`` with a copy of the root's files (not ``.terraform/`` or state)."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for path in sorted(source.iterdir()):
        # Files only: a root's subdirs are provider caches (.terraform) or local plugin dirs.
        if path.is_file() and not path.name.endswith((".tfstate", ".tfstate.backup")):
            shutil.copy2(path, target / path.name)
    (target / "README.md").write_text(
        f"Generated by tooling/emulator/override.py from ../{source.name}: "
        "do not edit, not committed.\n"
    )


def copy_work_tree(source_root: Path, target: Path) -> Path:
    """Copy what a clone of the current work holds (git-tracked + untracked, not ignored).

    The integration tests and the deploy benchmark run in such a copy, so that they start from
    scratch (no ``.work/``, ``dist/`` or ``.emulator/``) and never touch the developer's own.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=source_root,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for relative in filter(None, listed.split("\0")):
        source = source_root / relative
        if source.is_file():  # a tracked file deleted in the work tree is simply absent
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)
    return target


def provider_aliases(root: Path) -> list[str | None]:
    """The aliases of the ``aws`` provider blocks in ``root`` (None = the default provider).

    Each one needs its own override block, or that provider would still talk to AWS.
    """
    aliases: list[str | None] = []
    for block in tfvars.read_blocks(root, "provider"):
        for name, body in block.items():
            if tfvars.unquote(name) != "aws":
                continue
            alias = tfvars.attribute_value(body.get("alias"))
            aliases.append(alias if isinstance(alias, str) and alias else None)
    return aliases or [None]


def render_override(
    *,
    state_path: Path,
    endpoint: str,
    provider_aliases: Iterable[str | None],
    account_id: str = MOTO_ACCOUNT_ID,
) -> str:
    """HCL of the override file (``terraform fmt`` aligns it afterwards when terraform exists)."""
    lines = [
        "# Generated by tooling/emulator/override.py: runs this root against the local AWS",
        "# emulator.",
        "# Do not edit; regenerated on every emulated plan/apply.",
        "",
        "terraform {",
        '  backend "local" {',
        f"    path = {_quote(state_path.as_posix())}",
        "  }",
        "}",
    ]
    for alias in provider_aliases:
        lines += ["", 'provider "aws" {']
        if alias:
            lines.append(f"  alias = {_quote(alias)}")
        lines += [
            f"  allowed_account_ids = [{_quote(account_id)}]",
            "  s3_use_path_style = true",
            "  skip_credentials_validation = true",
            "  skip_metadata_api_check = true",
            "  skip_region_validation = true",
            "  endpoints {",
            *(f"    {service} = {_quote(endpoint)}" for service in AWS_ENDPOINT_SERVICES),
            "  }",
            "}",
        ]
    return "\n".join(lines) + "\n"


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _format(path: Path) -> None:
    """Run ``terraform fmt`` on the generated file so `fmt -check -recursive` stays clean."""
    binary = tools.optional_terraform_binary()
    if binary:
        subprocess.run([binary, "fmt", str(path)], check=False, capture_output=True)
