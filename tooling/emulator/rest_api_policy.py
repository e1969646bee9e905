"""REST API resource policies read back as API Gateway returns them.

API Gateway returns a REST API's ``policy`` as JSON whose quotes are escaped (``{\\"Version\\":…``),
and the AWS provider reads it that way: it wraps the value in quotes and unquotes it
(``rest_api_policy.go``, ``strconv.Unquote``) before parsing. moto 5.2.5 returns the raw JSON
(``RestAPI.to_dict`` in ``moto/apigateway/models.py``), which the provider then fails to parse
("invalid character … after top-level value"): every apply of an ``aws_api_gateway_rest_api_policy``
failed on the emulator. The value is escaped here the way API Gateway does it.

Loaded only by :mod:`tooling.emulator.server` (it imports moto).
"""

from __future__ import annotations

import json
from typing import Any

from moto.apigateway.models import RestAPI

_original_to_dict = RestAPI.to_dict


def to_dict(self: RestAPI) -> dict[str, Any]:
    """moto's representation, with ``policy`` escaped like API Gateway's."""
    result = _original_to_dict(self)
    if result.get("policy"):
        # json.dumps of a str escapes quotes and backslashes; [1:-1] drops the outer quotes.
        result["policy"] = json.dumps(result["policy"])[1:-1]
    return result


def install() -> None:
    """Replace moto's RestAPI.to_dict."""
    RestAPI.to_dict = to_dict  # type: ignore[method-assign]
