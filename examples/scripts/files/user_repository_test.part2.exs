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
