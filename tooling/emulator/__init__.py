"""The embedded AWS emulator: its process lifecycle, the patched moto server it runs, and
real env roots prepared to run against it (`--emulated`)."""
