"""CTS client library and the cts command line."""
