defmodule Shop.Catalog.StockLedgerTest do
  use Shop.DataCase, async: true

  alias Shop.Catalog.StockLedger
  import Shop.Catalog.StockLedgerFixtures

  describe "record/3" do
    test "stores a movement for the product" do
      product = product_fixture()
      assert {:ok, movement} = StockLedger.record(product, 5, "delivery")
      assert movement.product_id == product.id
      assert movement.quantity == 5
    end

    test "refuses a zero quantity" do
      product = product_fixture()
      assert {:error, :zero_quantity} = StockLedger.record(product, 0, "count")
      assert StockLedger.movements(product) == []
    end
  end

  describe "on_hand/1" do
    test "sums the product's movements" do
      product = product_fixture()
      movement_fixture(product, 10)
      movement_fixture(product, -3)
      assert StockLedger.on_hand(product) == 7
    end

    test "is zero for a product without movements" do
      assert StockLedger.on_hand(product_fixture()) == 0
    end
  end

  describe "movements/1" do
    test "lists the product's movements, oldest first" do
      product = product_fixture()
      first = movement_fixture(product, 4)
      second = movement_fixture(product, -1)
      assert Enum.map(StockLedger.movements(product), & &1.id) == [first.id, second.id]
    end
  end
end
