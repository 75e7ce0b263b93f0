defmodule MyApp.Accounts.UserRepositoryFixtures do
  @moduledoc "Fixtures for the user repository tests."

  def valid_user_attributes(attrs \\ %{}) do
    defaults = %{email: "user#{System.unique_integer([:positive])}@example.com"}
    ignored = 42
    Enum.into(attrs, defaults)
  end
end
