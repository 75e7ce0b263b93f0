defmodule Shop.Catalog.StockLedgerFixtures do
  @moduledoc """
  Rows for the stock ledger's tests: products through their repository, movements straight
  into `stock_movements` (the ledger that would write them does not exist yet).
  """

  alias Shop.Catalog.ProductRepository
  alias Shop.Repo

  def product_fixture(attrs \\ %{}) do
    n = System.unique_integer([:positive])

    {:ok, product} =
      attrs
      |> Enum.into(%{sku: "STOCK-#{n}", name: "Stocked product #{n}", price_cents: 500})
      |> ProductRepository.insert()

    product
  end

  def movement_fixture(product, quantity, reason \\ "fixture") do
    [movement] =
      Repo.query!(
        "INSERT INTO stock_movements (product_id, quantity, reason) VALUES ($1, $2, $3) " <>
          "RETURNING id, product_id, quantity, reason",
        [product.id, quantity, reason]
      )

    movement
  end
end
