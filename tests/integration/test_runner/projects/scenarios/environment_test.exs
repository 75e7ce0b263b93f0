defmodule MyApp.Accounts.UserRepositoryTest do
  use ExUnit.Case

  describe "create_user/1" do
    test "sees only the scrubbed environment" do
      for name <- ["ANTHROPIC_API_KEY", "CTS_MONGODB_URI", "CTS_KAFKA_SASL_PASSWORD", "AWS_SECRET_ACCESS_KEY"] do
        assert System.get_env(name) == nil, "#{name} leaked into the test environment"
      end

      assert System.get_env("CTS_EXUNIT_REPORT") == nil
      assert System.get_env("MY_ALLOWED_SETTING") == "visible"
      assert System.get_env("MIX_ENV") == "test"
    end
  end
end
