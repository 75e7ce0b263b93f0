"""CTS orchestrator: drives sessions through their steps."""
