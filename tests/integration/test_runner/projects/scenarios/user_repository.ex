defmodule MyApp.Accounts.UserRepository do
  @moduledoc "An in-memory user repository (an Agent per test would do; a table is enough)."

  alias MyApp.Accounts.User

  def create_user(%{email: email} = attrs) do
    if User.valid_email?(email) do
      user = %User{id: System.unique_integer([:positive]), email: email, name: attrs[:name]}
      :persistent_term.put({__MODULE__, user.id}, user)
      {:ok, user}
    else
      {:error, :invalid_email}
    end
  end

  def get_user(id), do: :persistent_term.get({__MODULE__, id}, nil)
end
