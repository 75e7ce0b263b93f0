"""``python -m cts_demo`` is ``cts-demo``."""

from cts_demo.run import main

if __name__ == "__main__":
    main()
