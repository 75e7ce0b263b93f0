import Config

# The database of one test run. The test-runner (like a CI job) gives every run its own
# MIX_TEST_PARTITION and its own PostgreSQL role (PGUSER/PGPASSWORD); on a developer's machine
# the defaults apply.
config :shop, Shop.Repo,
  username: System.get_env("PGUSER", "postgres"),
  password: System.get_env("PGPASSWORD", "postgres"),
  hostname: "localhost",
  port: String.to_integer(System.get_env("PGPORT", "5432")),
  database: "shop_test#{System.get_env("MIX_TEST_PARTITION")}"
