defmodule CtsSlug do
  @moduledoc """
  URL-safe slugs: lowercase ASCII letters and digits separated by single dashes.
  """

  @doc """
  The slug of `text`.

      iex> CtsSlug.slugify("  Blue Mug (350 ml)  ")
      "blue-mug-350-ml"
  """
  @spec slugify(String.t()) :: String.t()
  def slugify(text) when is_binary(text) do
    text
    |> String.normalize(:nfd)
    |> String.replace(~r/[^\x00-\x7F]/u, "")
    |> String.downcase()
    |> String.replace(~r/[^a-z0-9]+/, "-")
    |> String.trim("-")
  end
end
