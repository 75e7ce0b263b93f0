"""CTS git-committer: clones, branches and commits session work."""
