defmodule MyApp.Accounts.UserRegistrationFixtures do
  @moduledoc """
  Registration input and stored users for tests of `MyApp.Accounts.UserRegistration`.
  """

  alias MyApp.Accounts.{User, UserRepository}

  @doc "An email no other test uses."
  def unique_email, do: "user#{System.unique_integer([:positive])}@example.com"

  @doc "Valid registration attributes (string keys, as from a form), overridable."
  def valid_registration_attributes(attrs \\ %{}) do
    Enum.into(attrs, %{"email" => unique_email(), "name" => "Ada Lovelace"})
  end

  @doc "A user already stored in `table`, for tests that need an existing account."
  def user_fixture(table, attrs \\ %{}) do
    attrs = valid_registration_attributes(attrs)

    user = %User{
      id: "user-#{System.unique_integer([:positive])}",
      email: attrs["email"],
      name: attrs["name"]
    }

    {:ok, user} = UserRepository.insert(table, user)
    user
  end
end
