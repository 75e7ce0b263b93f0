defmodule Shelf.Catalog.StockKeeperTest do
  use ExUnit.Case, async: true

  import Shelf.Catalog.StockKeeperFixtures

  alias Shelf.Catalog.StockKeeper

  setup %{test: test} do
    product = product_fixture()

    keeper =
      start_supervised!(
        {StockKeeper, stock: %{product.sku => 3}, name: Module.concat(__MODULE__, test)}
      )

    %{keeper: keeper, sku: product.sku}
  end

  describe "start_link/1" do
    test "starts with the given initial stock", %{keeper: keeper, sku: sku} do
      assert StockKeeper.count(keeper, sku) == 3
    end
  end

  describe "add/3" do
    test "increases the stock of a product", %{keeper: keeper, sku: sku} do
      assert {:ok, 5} = StockKeeper.add(keeper, sku, 2)
      assert StockKeeper.count(keeper, sku) == 5
    end

    test "refuses a quantity that is not positive", %{keeper: keeper, sku: sku} do
      assert {:error, :bad_quantity} = StockKeeper.add(keeper, sku, 0)
      assert StockKeeper.count(keeper, sku) == 3
    end
  end

  describe "take/3" do
    test "decreases the stock of a product", %{keeper: keeper, sku: sku} do
      assert {:ok, 1} = StockKeeper.take(keeper, sku, 2)
      assert StockKeeper.count(keeper, sku) == 1
    end

    test "refuses to take more than is in stock", %{keeper: keeper, sku: sku} do
      assert {:error, :out_of_stock} = StockKeeper.take(keeper, sku, 4)
      assert StockKeeper.count(keeper, sku) == 3
    end
  end

  describe "count/2" do
    test "returns zero for an unknown product", %{keeper: keeper} do
      assert StockKeeper.count(keeper, unique_sku()) == 0
    end

    test "counts every unit added", %{keeper: keeper, sku: sku} do
      assert {:ok, 4} = StockKeeper.add(keeper, sku, 1)
      assert StockKeeper.count(keeper, sku) == 4
    end
  end
end
