defmodule MyApp.Accounts.UserRepositoryTest do
  use ExUnit.Case

  describe "create_user/1" do
    test "inserts a user with valid attributes" do
      # An OS process outside the BEAM's process group (erl_child_setup calls setsid), and then
      # the test waits for it forever.
      System.cmd("sleep", ["987"])
    end
  end
end
