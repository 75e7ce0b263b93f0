defmodule Mix.Tasks.Shop.Db.Create do
  @shortdoc "Creates the configured database unless it exists"
  @moduledoc "Like `mix ecto.create`: connects to the `postgres` database and creates ours."

  use Mix.Task

  @impl true
  def run(_args) do
    Mix.Task.run("app.config")
    config = Shop.Repo.config()
    name = Keyword.fetch!(config, :database)
    conn = Shop.Repo.connect!(Keyword.put(config, :database, "postgres"))

    if Shop.Repo.query!(conn, "SELECT 1 FROM pg_database WHERE datname = $1", [name]) == [] do
      Shop.Repo.query!(conn, "CREATE DATABASE " <> ShopSql.identifier(name), [])
    end

    Shop.Repo.checkin(conn)
  end
end
