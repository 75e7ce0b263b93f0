defmodule Shelf.Catalog.StockKeeperFixtures do
  @moduledoc """
  Products and SKUs for tests of `Shelf.Catalog.StockKeeper`.
  """

  alias Shelf.Catalog.Product

  @doc "A SKU no other test uses."
  def unique_sku, do: "SKU-#{System.unique_integer([:positive])}"

  @doc "A valid product, overridable."
  def product_fixture(attrs \\ %{}) do
    attrs = Enum.into(attrs, %{sku: unique_sku(), name: "Oat biscuits", price_cents: 250})
    {:ok, product} = Product.new(attrs)
    product
  end
end
