"""Env leaves hold only what differs: shared values live once, in the shared root variables.

Parsed offline with python-hcl2: the defaults of ``terraform/envs/_shared/variables.tf`` (plain
``default``s and the ``optional(type, default)`` attributes of object types) against each env's
``terraform.tfvars``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

ENVS_DIR = Path(__file__).resolve().parents[2] / "terraform" / "envs"
ENVS = ("local", "dev", "staging", "prod")
# `name = optional(type, default)` inside python-hcl2's rendering of an object type.
OPTIONAL_ATTRIBUTE = re.compile(r"'(\w+)': '\$\{optional\((\w+),(.+?)\)\}'")


def unwrap(value: Any) -> Any:
    """python-hcl2 wraps every attribute value in a one-element list."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def literal(text: str) -> Any:
    """An HCL literal default (number, bool, quoted string) as a Python value."""
    return json.loads(text.strip())


def shared_variables() -> dict[str, dict[str, Any]]:
    """Each shared variable: its plain default (if any) and its attributes' optional defaults."""
    with (ENVS_DIR / "_shared" / "variables.tf").open(encoding="utf-8") as handle:
        blocks = hcl2.load(handle)["variable"]
    variables: dict[str, dict[str, Any]] = {}
    for block in blocks:
        ((name, body),) = block.items()
        type_text = str(unwrap(body["type"]))
        variables[name] = {
            "has_default": "default" in body,
            "default": unwrap(body.get("default")),
            "attribute_defaults": {
                attribute: literal(default)
                for attribute, _type, default in OPTIONAL_ATTRIBUTE.findall(type_text)
            },
        }
    return variables


def env_values(env: str) -> dict[str, Any]:
    """The values an env's terraform.tfvars sets."""
    with (ENVS_DIR / env / "terraform.tfvars").open(encoding="utf-8") as handle:
        return {key: unwrap(value) for key, value in hcl2.load(handle).items()}


def settings(values: dict[str, Any]) -> dict[str, Any]:
    """Flatten to `variable` / `variable.attribute` paths."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{attribute}": item for attribute, item in value.items()})
        else:
            flat[key] = value
    return flat


def test_the_optional_defaults_parser_reads_the_shared_variables():
    # GIVEN the shared variables WHEN their defaults are parsed
    variables = shared_variables()
    # THEN known shared defaults are found (so the checks below compare against real values)
    assert variables["project"]["default"] == "sfp"
    assert variables["processor"]["attribute_defaults"] == {"memory_size": 512}
    assert variables["api_throttling"]["attribute_defaults"] == {
        "rate_limit": 10,
        "burst_limit": 20,
    }


@pytest.mark.parametrize("env", ENVS)
def test_tfvars_set_only_declared_variables(env):
    # GIVEN an env's values and the shared variables
    declared = shared_variables()
    # WHEN the names it sets are compared with the declarations
    undeclared = set(env_values(env)) - set(declared)
    # THEN each is declared (Terraform only warns about an undeclared tfvars value, then ignores it)
    assert not undeclared


@pytest.mark.parametrize("env", ENVS)
def test_tfvars_do_not_restate_a_shared_default(env):
    # GIVEN the shared defaults and an env's values
    declared = shared_variables()
    restated = []
    # WHEN each value the env sets is compared with the default it would otherwise get
    for name, value in env_values(env).items():
        variable = declared.get(name, {})
        if isinstance(value, dict):
            defaults = variable.get("attribute_defaults", {})
            restated += [
                f"{name}.{attribute} = {item!r}"
                for attribute, item in value.items()
                if attribute in defaults and defaults[attribute] == item
            ]
        elif variable.get("has_default") and variable["default"] == value:
            restated.append(f"{name} = {value!r}")
    # THEN none is the default itself: the env holds only what differs
    assert not restated, f"{env}/terraform.tfvars restates shared defaults: {restated}"


def test_no_setting_is_repeated_in_every_env():
    # GIVEN the settings of every env
    per_env = {env: settings(env_values(env)) for env in ENVS}
    # WHEN a setting has the same value in all of them
    common = set.intersection(*(set(values) for values in per_env.values()))
    shared = sorted(
        path
        for path in common
        if len({json.dumps(values[path]) for values in per_env.values()}) == 1
    )
    # THEN there is none: such a value belongs in the shared variables, once
    assert not shared, f"set identically in every env, make it a shared default: {shared}"


@pytest.mark.parametrize("env", ENVS)
def test_each_env_names_itself_and_its_region(env):
    # GIVEN an env's values WHEN its identity is read
    values = env_values(env)
    # THEN it names its own environment, and its region explicitly (never a shared default)
    assert values["environment"] == env
    assert re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", values["region"])
    assert not shared_variables()["region"]["has_default"]
