defmodule Shop.MixProject do
  use Mix.Project

  def project do
    [
      app: :shop,
      version: "0.1.0",
      elixir: "~> 1.14",
      elixirc_paths: elixirc_paths(Mix.env()),
      start_permanent: Mix.env() == :prod,
      deps: deps(),
      aliases: aliases()
    ]
  end

  # The PostgreSQL driver is Debian's erlang-p1-pgsql (in the system's Erlang library
  # directory); SCRAM authentication needs p1_stringprep, which it brings along.
  def application do
    [extra_applications: [:logger, :crypto, :stringprep, :p1_pgsql]]
  end

  # Like a Phoenix app: test helpers and fixtures under test/support compile in the test env.
  defp elixirc_paths(:test), do: ["lib", "test/support"]
  defp elixirc_paths(_), do: ["lib"]

  defp deps do
    [
      {:cts_slug, git: "https://git.cts.test/cts_slug.git", tag: "v0.1.0"},
      {:cts_money, git: "https://git.cts.test/cts_money.git", tag: "v0.1.0"},
      {:shop_sql, path: "vendor/shop_sql"}
    ]
  end

  # As Phoenix's `ecto.create --quiet` / `ecto.migrate --quiet` before `test`.
  defp aliases do
    [test: ["shop.db.create", "shop.db.migrate", "test"]]
  end
end
