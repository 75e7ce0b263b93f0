defmodule MyApp.Accounts.UserRepositoryTest do
  use ExUnit.Case

  describe "create_user/1" do
    test "inserts a user with valid attributes" do
      unused = %{email: "a@b.c"}
      assert {:ok, _} = MyApp.Accounts.UserRepository.create_user(%{email: "a@b.c"})
    end
  end
end
