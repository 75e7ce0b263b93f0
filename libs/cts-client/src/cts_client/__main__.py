"""``python -m cts_client`` is the ``cts`` command."""

from cts_client.cli import main

if __name__ == "__main__":
    main()
