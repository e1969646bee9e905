"""The naming module's region list covers every region the AWS SDK's endpoint model knows.

The module proves its short names unique over that list (terraform test + an output
precondition); this test keeps the list from going stale when botocore learns a new region.
"""

from __future__ import annotations

from pathlib import Path

import botocore.loaders
import hcl2

REGIONS_TF = Path(__file__).resolve().parents[2] / "terraform" / "modules" / "naming" / "regions.tf"


def known_regions() -> list[str]:
    """The module's local.known_regions, parsed from HCL."""
    with REGIONS_TF.open(encoding="utf-8") as handle:
        regions = hcl2.load(handle)["locals"][0]["known_regions"]
    # python-hcl2 wraps attribute values in a one-element list.
    return regions[0] if len(regions) == 1 and isinstance(regions[0], list) else regions


def sdk_regions() -> set[str]:
    """Every region of every partition in botocore's endpoints.json."""
    endpoints = botocore.loaders.Loader().load_data("endpoints")
    return {region for partition in endpoints["partitions"] for region in partition["regions"]}


def test_every_sdk_region_is_in_the_naming_modules_list():
    # GIVEN the regions of the AWS SDK's endpoint model and the naming module's list
    # WHEN they are compared
    missing = sorted(sdk_regions() - set(known_regions()))
    # THEN none is missing (a missing one could get a short name another region already has)
    assert missing == [], f"add {missing} to terraform/modules/naming/regions.tf"


def test_the_region_list_is_sorted_without_duplicates():
    # GIVEN the module's list WHEN read THEN it is sorted and every region appears once
    regions = known_regions()
    assert regions == sorted(set(regions))
