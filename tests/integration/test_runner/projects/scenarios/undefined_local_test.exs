defmodule MyApp.Accounts.UserRepositoryTest do
  use ExUnit.Case

  describe "create_user/1" do
    test "inserts a user with valid attributes" do
      attrs = valid_user_attributes()
      assert {:ok, _} = MyApp.Accounts.UserRepository.create_user(attrs)
    end
  end
end
