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

