defmodule Shop.DataCase do
  @moduledoc """
  The case for tests that touch the database, like a Phoenix app's `DataCase` over Ecto's SQL
  sandbox: each test gets its own connection and runs inside a transaction that is rolled back
  when it ends, so tests never see each other's rows and may run `async: true`.
  """

  use ExUnit.CaseTemplate

  using do
    quote do
      alias Shop.Repo
      import Shop.DataCase
    end
  end

  setup _tags do
    conn = Shop.Repo.checkout()
    :ok = Shop.Repo.begin_sandbox(conn)

    on_exit(fn ->
      Shop.Repo.query!(conn, "ROLLBACK", [])
      Shop.Repo.checkin(conn)
    end)

    :ok
  end
end
