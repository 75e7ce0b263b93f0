"""``make bench``: CTS orchestration overhead and throughput, measured beside the raw floor."""
