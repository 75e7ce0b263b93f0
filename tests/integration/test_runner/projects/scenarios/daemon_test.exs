defmodule MyApp.Accounts.UserRepositoryTest do
  use ExUnit.Case

  describe "create_user/1" do
    test "inserts a user with valid attributes" do
      # Leaves an orphan behind (its parent shell exits at once) and finishes.
      System.cmd("sh", ["-c", "sleep 986 > /dev/null 2>&1 &"])
      assert MyApp.Accounts.UserRepository.create_user(%{email: "a@b.c"})
    end
  end
end
