"""The reproducible Lambda zip (`invoke build`)."""
