"""CTS MongoDB repositories (PyMongo async): sessions, artifacts, outbox."""
