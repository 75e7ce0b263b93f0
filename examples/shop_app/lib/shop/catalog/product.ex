defmodule Shop.Catalog.Product do
  @moduledoc """
  A product of the catalogue, as stored in the `products` table.
  """

  @enforce_keys [:sku, :name, :slug, :price_cents]
  defstruct [:id, :sku, :name, :slug, :price_cents, :inserted_at]

  @type t :: %__MODULE__{
          id: integer() | nil,
          sku: String.t(),
          name: String.t(),
          slug: String.t(),
          price_cents: non_neg_integer(),
          inserted_at: String.t() | nil
        }

  @spec from_row(map()) :: t()
  def from_row(row),
    do: struct!(__MODULE__, Map.take(row, [:id, :sku, :name, :slug, :price_cents, :inserted_at]))
end
