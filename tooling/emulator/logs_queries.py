"""CloudWatch Logs saved queries (query definitions), which moto 5.2.5 lacks.

The monitoring module ships its Logs Insights queries as ``aws_cloudwatch_query_definition``
resources. moto answers ``PutQueryDefinition`` / ``DescribeQueryDefinitions`` /
``DeleteQueryDefinition`` with HTTP 500, which the AWS provider retries until its timeout: the
local apply would hang. The three actions are added with AWS's semantics (API reference of
CloudWatch Logs): Put creates a definition (or updates the one named by ``queryDefinitionId``,
ResourceNotFoundException when it does not exist), Describe lists them sorted by name and
filtered by ``queryDefinitionNamePrefix``, Delete removes one (ResourceNotFoundException when
unknown). Definitions live beside moto's own state in the Logs backend of each account/region.

Installed by :mod:`tooling.emulator.server`; moto is imported only when the actions run.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from moto.logs.responses import LogsResponse

# Attribute added to moto's LogsBackend instances (one per account and region).
_STORE = "sfp_query_definitions"


def _definitions(response: LogsResponse) -> dict[str, dict[str, Any]]:
    backend = response.logs_backend
    if not hasattr(backend, _STORE):
        setattr(backend, _STORE, {})
    return getattr(backend, _STORE)


def put_query_definition(self: LogsResponse) -> str:
    """Create a query definition, or update the one ``queryDefinitionId`` names."""
    stored = _definitions(self)
    query_id = self._get_param("queryDefinitionId")
    if query_id and query_id not in stored:
        raise _not_found()
    query_id = query_id or str(uuid.uuid4())
    stored[query_id] = {
        "queryDefinitionId": query_id,
        "name": self._get_param("name"),
        "queryString": self._get_param("queryString"),
        "logGroupNames": self._get_param("logGroupNames") or [],
        "lastModified": int(time.time() * 1000),
    }
    return json.dumps({"queryDefinitionId": query_id})


def describe_query_definitions(self: LogsResponse) -> str:
    """The stored definitions whose name starts with ``queryDefinitionNamePrefix``, by name."""
    prefix = self._get_param("queryDefinitionNamePrefix") or ""
    found = sorted(
        (item for item in _definitions(self).values() if str(item["name"]).startswith(prefix)),
        key=lambda item: str(item["name"]),
    )
    return json.dumps({"queryDefinitions": found})


def delete_query_definition(self: LogsResponse) -> str:
    """Remove one definition; ResourceNotFoundException when there is none with that id."""
    if _definitions(self).pop(self._get_param("queryDefinitionId"), None) is None:
        raise _not_found()
    return json.dumps({"success": True})


def _not_found() -> Exception:
    from moto.logs.exceptions import ResourceNotFoundException

    return ResourceNotFoundException()


def install() -> None:
    """Add the three actions to moto's CloudWatch Logs responses."""
    from moto.logs.responses import LogsResponse

    LogsResponse.put_query_definition = put_query_definition  # type: ignore[attr-defined]
    LogsResponse.describe_query_definitions = describe_query_definitions  # type: ignore[attr-defined]
    LogsResponse.delete_query_definition = delete_query_definition  # type: ignore[attr-defined]
