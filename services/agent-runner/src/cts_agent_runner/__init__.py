"""CTS agent-runner: Claude tool-use agent for test generation and fixes."""
