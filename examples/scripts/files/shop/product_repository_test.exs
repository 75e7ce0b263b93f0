defmodule Shop.Catalog.ProductRepositoryTest do
  use Shop.DataCase, async: true

  alias Shop.Catalog.ProductRepository
  import Shop.Catalog.ProductRepositoryFixtures

  describe "insert/1" do
    test "stores a product and returns it with its slug" do
      {:ok, product} =
        ProductRepository.insert(%{sku: "MUG-1", name: "Blue Mug", price_cents: 1250})

      assert product.slug == "blue-mug"
      assert is_integer(product.id)
    end

    test "refuses a second product with the same sku" do
      product = product_fixture(%{sku: "DUP-1"})

      assert {:error, :sku_taken} =
               ProductRepository.insert(%{sku: product.sku, name: "Other", price_cents: 1})
    end
  end

  describe "get_by_sku/1" do
    test "returns the product stored under the sku" do
      product = product_fixture()
      assert {:ok, found} = ProductRepository.get_by_sku(product.sku)
      assert found.id == product.id
    end

    test "returns not_found for an unknown sku" do
      assert {:error, :not_found} = ProductRepository.get_by_sku("NOPE-404")
    end
  end

  describe "list/0" do
    test "returns products sorted by name" do
      product_fixture(%{sku: "B-1", name: "Beta"})
      product_fixture(%{sku: "A-1", name: "Alpha"})
      assert Enum.map(ProductRepository.list(), & &1.name) == ["Alpha", "Beta"]
    end
  end

  describe "update_price/2" do
    test "changes the price" do
      product = product_fixture()
      assert {:ok, updated} = ProductRepository.update_price(product.sku, 999)
      assert updated.price_cents == 999
    end
  end

  describe "delete/1" do
    test "removes the product" do
      product = product_fixture()
      assert :ok = ProductRepository.delete(product.sku)
      assert {:error, :not_found} = ProductRepository.get_by_sku(product.sku)
    end
  end
end
