"""Domain code of the serverless file processor.

``app.py`` (the Lambda entry point at the zip root) wires these modules together:

- :mod:`file_processor.config`: environment variables, validated once per container.
- :mod:`file_processor.errors`: the one place where failures are classified as client /
  permanent problems or transient ones.
- :mod:`file_processor.events`: S3 notification parsing (URL-decoded keys, exact versions).
- :mod:`file_processor.processing`: one streaming pass feeding small per-type functions.
- :mod:`file_processor.result`: the versioned result document and its SNS publisher.
- :mod:`file_processor.service`: fetch + process + publish, shared by both event sources.
- :mod:`file_processor.api`: the ``POST /process`` routes.
"""

from __future__ import annotations

RESULT_SCHEMA_VERSION = "1"
