defmodule Shop do
  @moduledoc """
  A small shop: a product catalogue stored in PostgreSQL.
  """
end
