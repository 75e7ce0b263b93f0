defmodule MyApp.Accounts do
  @moduledoc "The Accounts context."

  alias MyApp.Accounts.User

  def change_email(%User{} = user, email) do
    if User.valid_email?(email), do: {:ok, %{user | email: email}}, else: {:error, :invalid_email}
  end
end
