defmodule MyApp do
  @moduledoc """
  MyApp keeps the contexts that define the domain; `MyApp.Accounts` is the only one so far.
  """
end
