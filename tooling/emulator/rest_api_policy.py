"""REST API resource policies read back as API Gateway returns them.

API Gateway returns a REST API's ``policy`` as JSON whose quotes are escaped (``{\\"Version\\":…``),
and the AWS provider reads it that way: it wraps the value in quotes and unquotes it
(``rest_api_policy.go``, ``strconv.Unquote``) before parsing. moto 5.2.5 returns the raw JSON
(``RestAPI.to_dict`` in ``moto/apigateway/models.py``), which the provider then fails to parse
("invalid character … after top-level value"): every apply of an ``aws_api_gateway_rest_api_policy``
failed on the emulator. The value is escaped here the way API Gateway does it.

Installed by :mod:`tooling.emulator.server`; moto is imported only by :func:`install`.
"""

from __future__ import annotations

import json
from typing import Any


def escaped(policy: str) -> str:
    """``policy`` with quotes and backslashes escaped, as API Gateway returns it."""
    # json.dumps of a str escapes quotes and backslashes; [1:-1] drops the outer quotes.
    return json.dumps(policy)[1:-1]


def install() -> None:
    """Wrap moto's RestAPI.to_dict so that ``policy`` comes back escaped."""
    from moto.apigateway.models import RestAPI

    original = RestAPI.to_dict

    def to_dict(self: RestAPI) -> dict[str, Any]:
        result = original(self)
        if result.get("policy"):
            result["policy"] = escaped(result["policy"])
        return result

    RestAPI.to_dict = to_dict  # type: ignore[method-assign]
