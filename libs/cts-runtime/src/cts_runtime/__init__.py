"""CTS service runtime: settings, Kafka broker factory, logging, message guard, executors."""
