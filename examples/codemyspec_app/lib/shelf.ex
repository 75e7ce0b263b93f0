defmodule Shelf do
  @moduledoc "A small shop's catalogue and stock."
end
