defmodule MyApp.Accounts.UserRepositoryTest do
  use ExUnit.Case, async: true

  import MyApp.Accounts.UserRepositoryFixtures

  alias MyApp.Accounts.UserRepository

  setup do
    %{table: UserRepository.new()}
  end

  describe "insert/2" do
    test "stores a new user and returns it", %{table: table} do
      user = build_user()

      assert {:ok, ^user} = UserRepository.insert(table, user)
      assert {:ok, ^user} = UserRepository.get(table, user.id)
    end

    test "refuses a second user with the same id", %{table: table} do
      user = build_user()
      {:ok, _} = UserRepository.insert(table, user)

      assert {:error, :already_exists} =
               UserRepository.insert(table, build_user(%{id: user.id}))
    end
  end

  describe "get/2" do
    test "returns the user stored under the id", %{table: table} do
      {:ok, user} = UserRepository.insert(table, build_user())

      assert {:ok, ^user} = UserRepository.get(table, user.id)
    end

    test "returns not_found for an unknown id", %{table: table} do
      assert {:error, :not_found} = UserRepository.get(table, "missing")
    end
  end

  describe "get_by_email/2" do
    test "finds a user by exact email", %{table: table} do
      {:ok, user} = UserRepository.insert(table, build_user(%{email: "ada@example.com"}))

      assert {:ok, ^user} = UserRepository.get_by_email(table, "ada@example.com")
      assert {:error, :not_found} = UserRepository.get_by_email(table, "ADA@example.com")
    end
  end

  describe "list/1" do
    test "returns users sorted by email", %{table: table} do
      {:ok, b} = UserRepository.insert(table, build_user(%{email: "b@example.com"}))
      {:ok, a} = UserRepository.insert(table, build_user(%{email: "a@example.com"}))

      assert UserRepository.list(table) == [a, b]
    end
  end

  describe "delete/2" do
    test "removes the user and returns ok", %{table: table} do
      {:ok, user} = UserRepository.insert(table, build_user())

      assert :ok = UserRepository.delete(table, user.id)
      assert {:error, :not_found} = UserRepository.get(table, user.id)
    end
  end
end
