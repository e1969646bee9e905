"""Domain code of the serverless file processor.

``app.py`` (the Lambda entry point at the zip root) reads the configuration, builds the
application with :func:`file_processor.application.build_application` and delegates to it.

- :mod:`file_processor.config`: configuration from environment variables (or any mapping),
  validated once per container.
- :mod:`file_processor.application`: the wiring (``build_application``) and the dispatch on the
  event's shape (``Application.handle``).
- :mod:`file_processor.shapes`: which kind of event arrived, and a value-free description of it.
- :mod:`file_processor.errors`: the one place where failures are classified: client / permanent
  problems, transient ones, unsupported events.
- :mod:`file_processor.aws`: boto3 clients (timeouts, retry mode), built once per container.
- :mod:`file_processor.events`: S3 notification and EventBridge parsing (URL-decoded keys,
  exact versions) and the API body's validation.
- :mod:`file_processor.envelopes`: S3 notifications unwrapped from SNS and SQS messages.
- :mod:`file_processor.uploads`: the S3 record loop every delivery path ends in.
- :mod:`file_processor.batches`: SQS batches with partial batch responses.
- :mod:`file_processor.sniff`: content type from the first bytes, then extension / metadata.
- :mod:`file_processor.processing`: one streaming pass feeding small per-type functions.
- :mod:`file_processor.jsonscan`: the streaming JSON validator behind the JSON facts.
- :mod:`file_processor.result`: the versioned result document and its SNS publisher.
- :mod:`file_processor.service`: fetch + process + publish, shared by both event sources, and
  the idempotent publisher.
- :mod:`file_processor.rest`: REST proxy requests (routes built on the first one) and the
  answer to HTTP front doors that are not served.
- :mod:`file_processor.api`: the ``POST /process`` routes.
- :mod:`file_processor.responses`: proxy error responses, in each front door's format.
- :mod:`file_processor.telemetry`: EMF metrics.
"""

from __future__ import annotations

RESULT_SCHEMA_VERSION = "1"
