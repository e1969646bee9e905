"""Tooling for serverless-file-processor: build, check, plan, apply, emulate and report.

``tasks.py`` only wires invoke tasks to the typed functions in this package, one module per
concern, so that the same logic serves people, CI and the GitHub workflows.
"""
