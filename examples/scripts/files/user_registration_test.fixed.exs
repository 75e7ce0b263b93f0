defmodule MyApp.Accounts.UserRegistrationTest do
  use ExUnit.Case, async: true

  import MyApp.Accounts.UserRegistrationFixtures

  alias MyApp.Accounts.{UserRegistration, UserRepository}

  setup do
    %{table: UserRepository.new()}
  end

  describe "normalize_email/1" do
    test "trims and downcases the email" do
      assert UserRegistration.normalize_email("  Ada@Example.COM ") == "ada@example.com"
    end
  end

  describe "register/2" do
    test "stores a new user and returns it", %{table: table} do
      attrs = valid_registration_attributes()

      assert {:ok, user} = UserRegistration.register(table, attrs)
      assert user.email == attrs["email"]
      assert user.name == attrs["name"]
      assert {:ok, ^user} = UserRepository.get(table, user.id)
    end

    test "rejects a malformed email", %{table: table} do
      attrs = valid_registration_attributes(%{"email" => "not-an-email"})

      assert {:error, :invalid_email} = UserRegistration.register(table, attrs)
      assert UserRepository.list(table) == []
    end

    test "rejects a blank name", %{table: table} do
      attrs = valid_registration_attributes(%{"name" => "   "})

      assert {:error, :name_required} = UserRegistration.register(table, attrs)
    end

    test "rejects an email that is already registered", %{table: table} do
      existing = user_fixture(table)
      attrs = valid_registration_attributes(%{"email" => String.upcase(existing.email)})

      assert {:error, :email_taken} = UserRegistration.register(table, attrs)
      assert UserRepository.list(table) == [existing]
    end
  end
end
