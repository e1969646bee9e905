"""Configuration: every variable validated once, errors naming the variable; one source for the
metrics namespace and service name (the compute module), none in the handler."""

from __future__ import annotations

import re

import pytest
from handler_support import HANDLER_ENV, ROOT

from file_processor.config import ConfigError, load_config

COMPUTE_MODULE = ROOT / "terraform" / "modules" / "compute"


def test_config_names_the_bad_variable():
    # GIVEN environments missing or garbling one variable each
    missing = {name: value for name, value in HANDLER_ENV.items() if name != "TOPIC_ARN"}
    bad_size = {**HANDLER_ENV, "MAX_OBJECT_BYTES": "lots"}
    inverted = {**HANDLER_ENV, "MAX_OBJECT_BYTES": "10", "MAX_SYNC_OBJECT_BYTES": "20"}
    bad_bucket = {**HANDLER_ENV, "BUCKET_NAME": "Not_A_Bucket"}
    no_region = {name: value for name, value in HANDLER_ENV.items() if not name.endswith("REGION")}

    # WHEN / THEN each error names its variable
    with pytest.raises(ConfigError, match="TOPIC_ARN is missing"):
        load_config(missing)
    with pytest.raises(ConfigError, match="MAX_OBJECT_BYTES='lots' is not an integer"):
        load_config(bad_size)
    with pytest.raises(ConfigError, match="MAX_SYNC_OBJECT_BYTES=20 is larger than"):
        load_config(inverted)
    with pytest.raises(ConfigError, match="BUCKET_NAME='Not_A_Bucket' is not an S3 bucket name"):
        load_config(bad_bucket)
    with pytest.raises(ConfigError, match="AWS_REGION=''"):
        load_config(no_region)
    fifo_topic = {**HANDLER_ENV, "TOPIC_ARN": HANDLER_ENV["TOPIC_ARN"] + ".fifo"}
    with pytest.raises(ConfigError, match="TOPIC_ARN"):
        load_config(fifo_topic)


def test_config_reads_limits_and_defaults():
    # GIVEN the test environment without the optional variables
    env = {name: value for name, value in HANDLER_ENV.items() if not name.startswith("MAX_")}

    # WHEN loaded
    config = load_config(env)

    # THEN the defaults apply and the required values are kept
    assert config.region == "us-east-1"
    assert config.bucket_name == HANDLER_ENV["BUCKET_NAME"]
    assert config.max_object_bytes == 2 * 1024**3
    assert config.max_sync_object_bytes == 64 * 1024**2
    assert config.metrics_namespace == "SfpTest"


@pytest.mark.parametrize("name", ["POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_SERVICE_NAME"])
@pytest.mark.parametrize("value", [None, "", "   "])
def test_namespace_and_service_name_have_no_default(name, value):
    # GIVEN an environment without the variable (or with it empty)
    env = {key: v for key, v in HANDLER_ENV.items() if key != name}
    if value is not None:
        env[name] = value

    # WHEN loaded / THEN the error names the variable instead of falling back to a default
    # that could disagree with the compute module's
    with pytest.raises(ConfigError, match=f"{name} is missing or empty: set it to"):
        load_config(env)


@pytest.mark.parametrize(
    ("namespace", "valid"),
    [
        ("ServerlessFileProcessor", True),
        ("Acme/File Processor:prod#1", True),
        ("AWS/Lambda", False),  # reserved for AWS services
        ("caf\u00e9", False),
        ("x" * 256, False),
    ],
)
def test_metrics_namespace_must_be_a_cloudwatch_namespace(namespace, valid):
    # GIVEN a namespace / WHEN loaded / THEN CloudWatch's naming rules decide
    env = {**HANDLER_ENV, "POWERTOOLS_METRICS_NAMESPACE": namespace}
    if valid:
        assert load_config(env).metrics_namespace == namespace
    else:
        with pytest.raises(
            ConfigError, match=r"POWERTOOLS_METRICS_NAMESPACE=.* is not a CloudWatch"
        ):
            load_config(env)


def test_service_name_must_be_a_dimension_value():
    # GIVEN a service name with a control character / WHEN loaded / THEN refused, named
    env = {**HANDLER_ENV, "POWERTOOLS_SERVICE_NAME": "file\nprocessor"}
    with pytest.raises(ConfigError, match="POWERTOOLS_SERVICE_NAME="):
        load_config(env)


def test_the_compute_module_is_the_one_source_of_both_variables():
    # GIVEN the compute module's Terraform (the single source of namespace and service name)
    sources = "\n".join(path.read_text(encoding="utf-8") for path in COMPUTE_MODULE.glob("*.tf"))

    # THEN it sets both variables on the function, so a deployed handler always has them
    for name in ("POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_SERVICE_NAME"):
        assert re.search(rf"^\s*{name}\s*=", sources, re.MULTILINE), name


def test_the_handler_carries_no_default_namespace():
    # GIVEN the handler's sources / THEN no namespace literal that could disagree is left
    code = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "handler").rglob("*.py"))
    assert "DEFAULT_METRICS_NAMESPACE" not in code
    assert not re.search(r"""namespace\s*=\s*["']""", code)
