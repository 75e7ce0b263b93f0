"""CTS domain: sessions, interactions and the pure workflow decision."""
