"""Invoking a deployed function (`invoke local`)."""
