defmodule MyApp.Accounts.UserRepositoryTest do
  use ExUnit.Case

  describe "create_user/1" do
    test "inserts a user with valid attributes" do
      assert {:ok, _} = MyApp.Accounts.UserRepository.create_user(%{email: "a@b.c"})
    end
  end

  describe "get_user/1" do
    test "returns the user by id" do
      assert MyApp.Accounts.UserRepository.get_user(1)
    end

    test "raises for a negative id" do
      assert_raise ArgumentError, fn -> MyApp.Accounts.UserRepository.get_user(-1) end
    end
  end
end
