"""CTS test-runner: runs generated tests and reports structured results."""
