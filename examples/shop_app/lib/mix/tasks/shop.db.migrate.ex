defmodule Mix.Tasks.Shop.Db.Migrate do
  @shortdoc "Applies priv/migrations/*.sql not applied yet"
  @moduledoc "Like `mix ecto.migrate`: each file once, in name order, recorded by name."

  use Mix.Task

  @impl true
  def run(_args) do
    Mix.Task.run("app.config")
    conn = Shop.Repo.connect!()

    Shop.Repo.query!(
      conn,
      "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY)",
      []
    )

    applied =
      for %{version: v} <- Shop.Repo.query!(conn, "SELECT version FROM schema_migrations", []),
          do: v

    for path <-
          Path.wildcard(Path.join(:code.priv_dir(:shop), "migrations/*.sql")) |> Enum.sort(),
        version = Path.basename(path, ".sql"),
        version not in applied do
      Shop.Repo.query!(conn, "BEGIN", [])
      Shop.Repo.query!(conn, File.read!(path), [])
      Shop.Repo.query!(conn, "INSERT INTO schema_migrations (version) VALUES ($1)", [version])
      Shop.Repo.query!(conn, "COMMIT", [])
    end

    Shop.Repo.checkin(conn)
  end
end
