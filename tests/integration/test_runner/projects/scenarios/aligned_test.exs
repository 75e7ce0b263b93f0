defmodule MyApp.Accounts.UserRepositoryTest do
  use ExUnit.Case, async: true

  alias MyApp.Accounts.UserRepository

  describe "create_user/1" do
    test "inserts a user with valid attributes" do
      assert {:ok, user} = UserRepository.create_user(%{email: "ada@example.com"})
      assert user.email == "ada@example.com"
    end

    test "returns an error for a malformed email" do
      assert {:error, :invalid_email} = UserRepository.create_user(%{email: "nope"})
    end
  end

  describe "get_user/1" do
    test "returns the user by id" do
      {:ok, user} = UserRepository.create_user(%{email: "bob@example.com"})
      assert UserRepository.get_user(user.id) == user
    end

    test "returns nil for an unknown id" do
      assert UserRepository.get_user(-1) == nil
    end
  end
end
