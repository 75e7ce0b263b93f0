defmodule Shop.Catalog.ProductRepositoryFixtures do
  @moduledoc "Products inserted through the repository, one row per call."

  alias Shop.Catalog.ProductRepository

  def unique_sku, do: "SKU-#{System.unique_integer([:positive])}"

  def product_fixture(attrs \\ %{}) do
    {:ok, product} =
      attrs
      |> Enum.into(%{
        sku: unique_sku(),
        name: "Product #{System.unique_integer([:positive])}",
        price_cents: 1000
      })
      |> ProductRepository.insert()

    product
  end
end
