defmodule Shop.Repo do
  @moduledoc """
  PostgreSQL access through Debian's `erlang-p1-pgsql` driver, in the spirit of an Ecto repo:
  one connection per process, checked out with `checkout/0` (tests do it in `Shop.DataCase`),
  and queries with `$n` parameters bound by `ShopSql`.

  Inside a test transaction every statement runs under a savepoint, as Ecto's SQL sandbox
  does, so a statement that fails (a unique violation) does not abort the test's transaction.
  """

  defmodule Error do
    defexception [:code, :message]
  end

  @connection {__MODULE__, :connection}
  @savepoints {__MODULE__, :savepoints}

  @spec config() :: keyword()
  def config, do: Application.fetch_env!(:shop, __MODULE__)

  @spec connect!(keyword()) :: pid()
  def connect!(config \\ config()) do
    {:ok, _} = Application.ensure_all_started(:stringprep)
    {:ok, _} = Application.ensure_all_started(:p1_pgsql)

    options = [
      host: to_charlist(Keyword.fetch!(config, :hostname)),
      port: Keyword.get(config, :port, 5432),
      database: to_charlist(Keyword.fetch!(config, :database)),
      user: to_charlist(Keyword.fetch!(config, :username)),
      password: to_charlist(Keyword.get(config, :password, ""))
    ]

    case :pgsql.connect(options) do
      {:ok, conn} ->
        no_delay(conn)
        # The driver's extended protocol stops at a NOTICE ("table exists, skipping").
        {:ok, _} = :pgsql.squery(conn, "SET client_min_messages TO warning")
        conn

      {:error, reason} ->
        where = "#{config[:hostname]}:#{config[:port]}/#{config[:database]}"
        raise Error, message: "cannot connect to #{where}: #{inspect(reason)}"
    end
  end

  # The driver sends a prepared statement's messages one by one and waits; with Nagle's
  # algorithm on, each round trip costs a delayed ACK (~40 ms). Its socket is in its state.
  defp no_delay(conn) do
    case Enum.find(Tuple.to_list(:sys.get_state(conn)), &match?({:gen_tcp, _}, &1)) do
      {:gen_tcp, socket} -> :inet.setopts(socket, nodelay: true)
      nil -> :ok
    end
  end

  @doc "Connects and makes the connection this process's own (until `checkin/1`)."
  @spec checkout() :: pid()
  def checkout do
    conn = connect!()
    Process.put(@connection, conn)
    conn
  end

  @doc """
  Opens the transaction a test runs in (rolled back by the caller); from now on this
  process's statements run under savepoints.
  """
  @spec begin_sandbox(pid()) :: :ok
  def begin_sandbox(conn) do
    query!(conn, "BEGIN", [])
    Process.put(@savepoints, true)
    :ok
  end

  @spec checkin(pid()) :: :ok
  def checkin(conn) do
    :pgsql.terminate(conn)
    :ok
  end

  @spec query(String.t(), list()) :: {:ok, [map()]} | {:error, Error.t()}
  def query(sql, params \\ []), do: query(connection!(), sql, params)

  @spec query(pid(), String.t(), list()) :: {:ok, [map()]} | {:error, Error.t()}
  def query(conn, sql, params) do
    statement = ShopSql.bind(sql, params)

    if Process.get(@savepoints) do
      {:ok, _} = :pgsql.squery(conn, "SAVEPOINT shop_repo")
      result = run(conn, statement)
      undo = if match?({:error, _}, result), do: "ROLLBACK TO", else: "RELEASE"
      {:ok, _} = :pgsql.squery(conn, "#{undo} SAVEPOINT shop_repo")
      result
    else
      run(conn, statement)
    end
  end

  @spec query!(String.t(), list()) :: [map()]
  def query!(sql, params \\ []), do: query!(connection!(), sql, params)

  @spec query!(pid(), String.t(), list()) :: [map()]
  def query!(conn, sql, params) do
    case query(conn, sql, params) do
      {:ok, rows} -> rows
      {:error, error} -> raise error
    end
  end

  # The extended protocol: after an error the driver only resynchronises (its simple-query
  # path rolls the whole transaction back), so a savepoint can undo just the failed statement.
  defp run(conn, statement) do
    name = ~c"shop_repo"

    result =
      with {:ok, _status, _params, columns} <- :pgsql.prepare(conn, name, statement),
           {:ok, {command, rows}} when command != :nyi and is_list(rows) <-
             :pgsql.execute(conn, name, []) do
        {:ok, ShopSql.decode(columns, rows)}
      else
        # A statement without rows: its tag and the row count, or :nyi and its tag.
        {:ok, {_command, _count_or_tag}} -> {:ok, []}
        {:error, fields} when is_list(fields) -> {:error, error(fields)}
        other -> {:error, %Error{code: nil, message: inspect(other)}}
      end

    :pgsql.unprepare(conn, name)
    result
  end

  defp error(fields) do
    %Error{code: to_string(fields[:code]), message: to_string(fields[:message])}
  end

  defp connection! do
    Process.get(@connection) ||
      raise Error, message: "no connection checked out: use Shop.DataCase or Shop.Repo.checkout/0"
  end
end
