defmodule MyApp do
  @moduledoc "A small Phoenix-style application without dependencies (no Hex here)."

  def version, do: "0.1.0"
end
