"""A deployed env seen from outside: its outputs, clients, what it published, event builders."""
