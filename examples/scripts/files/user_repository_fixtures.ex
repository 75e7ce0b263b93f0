defmodule MyApp.Accounts.UserRepositoryFixtures do
  @moduledoc """
  Users for tests of `MyApp.Accounts.UserRepository`.
  """

  alias MyApp.Accounts.User

  @doc "A user that is not stored anywhere yet; fields overridable."
  def build_user(attrs \\ %{}) do
    n = System.unique_integer([:positive])
    struct!(User, Enum.into(attrs, %{id: "user-#{n}", email: "user#{n}@example.com", name: "User #{n}"}))
  end
end
