defmodule MyApp.Accounts.User do
  @moduledoc "The user struct the repository stores."

  @enforce_keys [:email]
  defstruct [:id, :email, :name]

  @email ~r/^[^@\s]+@[^@\s]+$/

  def valid_email?(email) when is_binary(email), do: Regex.match?(@email, email)
  def valid_email?(_), do: false
end
