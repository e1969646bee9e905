"""The shared core: errors, repository paths, envs, external tools, the emulator's fixed facts.

Imports nothing else of the project."""
