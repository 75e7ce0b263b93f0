defmodule MyApp.Accounts.UserRepository do
  @moduledoc """
  In-memory storage for users, backed by an ETS table owned by the calling process.
  """

  alias MyApp.Accounts.User

  @spec new() :: :ets.tid()
  def new, do: :ets.new(__MODULE__, [:set, :private])

  @spec insert(:ets.tid(), User.t()) :: {:ok, User.t()} | {:error, :already_exists}
  def insert(table, %User{id: id} = user) do
    if :ets.insert_new(table, {id, user}), do: {:ok, user}, else: {:error, :already_exists}
  end

  @spec get(:ets.tid(), String.t()) :: {:ok, User.t()} | {:error, :not_found}
  def get(table, id) do
    case :ets.lookup(table, id) do
      [{^id, user}] -> {:ok, user}
      [] -> {:error, :not_found}
    end
  end

  @spec get_by_email(:ets.tid(), String.t()) :: {:ok, User.t()} | {:error, :not_found}
  def get_by_email(table, email) do
    case Enum.find(list(table), &(&1.email == email)) do
      nil -> {:error, :not_found}
      user -> {:ok, user}
    end
  end

  @spec list(:ets.tid()) :: [User.t()]
  def list(table) do
    table
    |> :ets.tab2list()
    |> Enum.map(fn {_id, user} -> user end)
    |> Enum.sort_by(& &1.email)
  end

  @spec delete(:ets.tid(), String.t()) :: :ok
  def delete(table, id) do
    :ets.delete(table, id)
    :ok
  end
end
