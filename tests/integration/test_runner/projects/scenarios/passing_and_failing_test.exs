defmodule MyApp.Accounts.UserRepositoryTest do
  use ExUnit.Case

  describe "create_user/1" do
    test "inserts a user with valid attributes" do
      assert {:ok, _} = MyApp.Accounts.UserRepository.create_user(%{email: "a@b.c"})
    end

    test "returns an error for a malformed email" do
      assert MyApp.Accounts.User.valid_email?("nope") == false
    end
  end
end
