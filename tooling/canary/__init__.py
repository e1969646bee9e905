"""The post-deploy canary: real objects through the deployed stack, plus the promised wiring.

Behaviour: probe objects with awkward keys (space, '+', '%', non-ASCII) and several content
types are uploaded to the deployed bucket; their results are read back from the results topic
through a temporary SQS subscription, validated against the handler's JSON Schema and compared
with the uploaded bytes (size, sha256); a duplicate delivery must publish nothing new; and
``POST /process`` must answer with the same facts.

* On the emulator (moto cannot run Lambda code without Docker) the handler runs in-process
  (:mod:`tooling.run.local`) with the S3 events S3 would send and with an API Gateway proxy
  event.
* On real AWS the real notification drives the deployed function; the duplicate is an async
  ``lambda:Invoke`` of the same event (what a redelivery looks like), and ``/process`` is called
  over HTTPS with a SigV4-signed request (the API uses AWS_IAM).

Wiring, through boto3 on the deployed resources: bucket encryption (SSE-KMS with the stack's key)
and notification target, the processor's event-invoke config (2 retries, 3600 s, on-failure
destination), the log group's retention and KMS key, the error-rate alarm's metric math and
threshold.

Each check yields a :class:`Check`; :func:`render_table` prints them and the task exits non-zero
when any failed. The check functions take boto3 clients, so tests drive them against moto.
"""
