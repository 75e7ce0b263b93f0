defmodule MyApp.Accounts.UserRepositoryTest do
  use ExUnit.Case

  describe "create_user/1" do
    test "inserts a user with valid attributes" do
      chunk = String.duplicate("x", 1_000_000) <> "\n"
      Enum.each(1..50, fn _ -> IO.write(chunk) end)
      assert {:ok, _} = MyApp.Accounts.UserRepository.create_user(%{email: "a@b.c"})
    end
  end
end
