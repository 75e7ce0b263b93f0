defmodule MyApp.Accounts do
  @moduledoc """
  The Accounts context: users, how they are stored and how they register.
  """

  alias MyApp.Accounts.UserRepository

  @doc "Creates the storage the context works on."
  @spec new_store() :: :ets.tid()
  defdelegate new_store(), to: UserRepository, as: :new

  @doc "Looks a user up by id."
  @spec get_user(:ets.tid(), String.t()) :: {:ok, MyApp.Accounts.User.t()} | {:error, :not_found}
  defdelegate get_user(store, id), to: UserRepository, as: :get
end
