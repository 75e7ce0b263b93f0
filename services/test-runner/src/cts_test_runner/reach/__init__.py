"""What a sandboxed run may reach, on the runner's side of its forwards: the dependency
fetch's allow-listing proxy and the run's database relay, each a Unix socket of one run."""
