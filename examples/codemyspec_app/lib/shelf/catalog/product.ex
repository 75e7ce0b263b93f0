defmodule Shelf.Catalog.Product do
  @moduledoc "A product the shop sells: its stock-keeping unit, name and price in cents."

  @enforce_keys [:sku, :name, :price_cents]
  defstruct [:sku, :name, :price_cents]

  @type t :: %__MODULE__{sku: String.t(), name: String.t(), price_cents: non_neg_integer()}

  @doc "A product from its attributes, or an error naming the first bad one."
  @spec new(map()) :: {:ok, t()} | {:error, :sku_required | :name_required | :bad_price}
  def new(attrs) do
    sku = Map.get(attrs, :sku)
    name = Map.get(attrs, :name)
    price = Map.get(attrs, :price_cents)

    cond do
      not (is_binary(sku) and sku != "") -> {:error, :sku_required}
      not (is_binary(name) and name != "") -> {:error, :name_required}
      not (is_integer(price) and price >= 0) -> {:error, :bad_price}
      true -> {:ok, %__MODULE__{sku: sku, name: name, price_cents: price}}
    end
  end
end
