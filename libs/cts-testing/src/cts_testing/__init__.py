"""CTS test support: the scripted Messages-API server and local stack helpers."""
