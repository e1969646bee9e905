"""Domain code of the serverless file processor.

``app.py`` (the Lambda entry point at the zip root) wires these modules together:

- :mod:`file_processor.config`: environment variables, validated once per container.
- :mod:`file_processor.errors`: the one place where failures are classified as client /
  permanent problems or transient ones.
- :mod:`file_processor.aws`: boto3 clients (timeouts, retry mode), built once per container.
- :mod:`file_processor.events`: S3 notification parsing (URL-decoded keys, exact versions) and
  the API body's validation.
- :mod:`file_processor.sniff`: content type from the first bytes, then extension / metadata.
- :mod:`file_processor.processing`: one streaming pass feeding small per-type functions.
- :mod:`file_processor.jsonscan`: the streaming JSON validator behind the JSON facts.
- :mod:`file_processor.result`: the versioned result document and its SNS publisher.
- :mod:`file_processor.service`: fetch + process + publish, shared by both event sources, and
  the idempotent publisher.
- :mod:`file_processor.api`: the ``POST /process`` routes.
- :mod:`file_processor.telemetry`: EMF metrics.
"""

from __future__ import annotations

RESULT_SCHEMA_VERSION = "1"
