defmodule Shop.Catalog do
  @moduledoc """
  The catalogue context: validates what callers send, then stores through
  `Shop.Catalog.ProductRepository`.
  """

  alias Shop.Catalog.Product
  alias Shop.Catalog.ProductRepository

  @currency "EUR"

  @spec create_product(map()) ::
          {:ok, Product.t()} | {:error, :invalid_sku | :invalid_price | :sku_taken}
  def create_product(%{sku: sku, name: name, price_cents: price_cents} = attrs)
      when is_binary(name) do
    cond do
      not (is_binary(sku) and Regex.match?(~r/^[A-Z0-9-]{3,32}$/, sku)) -> {:error, :invalid_sku}
      not (is_integer(price_cents) and price_cents >= 0) -> {:error, :invalid_price}
      true -> ProductRepository.insert(attrs)
    end
  end

  @spec list_products() :: [Product.t()]
  defdelegate list_products, to: ProductRepository, as: :list

  @spec price_label(Product.t()) :: String.t()
  def price_label(%Product{price_cents: price_cents}), do: CtsMoney.format(price_cents, @currency)
end
