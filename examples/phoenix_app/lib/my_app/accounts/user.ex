defmodule MyApp.Accounts.User do
  @moduledoc "A registered user."

  @enforce_keys [:id, :email, :name]
  defstruct [:id, :email, :name]

  @type t :: %__MODULE__{id: String.t(), email: String.t(), name: String.t()}
end
