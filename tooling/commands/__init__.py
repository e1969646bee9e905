"""The invoke tasks, one module per concern: the top layer, which nothing else imports.

Each task parses its flags and makes one call into the package; ``tasks.py`` assembles them.
"""
