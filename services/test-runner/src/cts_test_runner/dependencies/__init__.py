"""A project's dependencies: fetched and compiled once per cache entry (project, ``mix.lock``,
toolchain), then reused read-only by every run of that project."""
