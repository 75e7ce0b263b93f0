defmodule Shop.Catalog.ProductRepository do
  @moduledoc """
  Stores products in the `products` table. It knows nothing about validation: callers hand it
  complete attributes (the `Shop.Catalog` context validates).
  """

  alias Shop.Catalog.Product
  alias Shop.Repo

  @columns "id, sku, name, slug, price_cents, inserted_at::text AS inserted_at"

  @spec insert(map()) :: {:ok, Product.t()} | {:error, :sku_taken}
  def insert(%{sku: sku, name: name, price_cents: price_cents}) do
    sql =
      "INSERT INTO products (sku, name, slug, price_cents) VALUES ($1, $2, $3, $4) " <>
        "RETURNING #{@columns}"

    case Repo.query(sql, [sku, name, CtsSlug.slugify(name), price_cents]) do
      {:ok, [row]} -> {:ok, Product.from_row(row)}
      {:error, %Repo.Error{code: "23505"}} -> {:error, :sku_taken}
    end
  end

  @spec get(integer()) :: {:ok, Product.t()} | {:error, :not_found}
  def get(id), do: one("SELECT #{@columns} FROM products WHERE id = $1", [id])

  @spec get_by_sku(String.t()) :: {:ok, Product.t()} | {:error, :not_found}
  def get_by_sku(sku), do: one("SELECT #{@columns} FROM products WHERE sku = $1", [sku])

  @spec list() :: [Product.t()]
  def list do
    "SELECT #{@columns} FROM products ORDER BY name, sku"
    |> Repo.query!([])
    |> Enum.map(&Product.from_row/1)
  end

  @spec update_price(String.t(), non_neg_integer()) :: {:ok, Product.t()} | {:error, :not_found}
  def update_price(sku, price_cents) do
    one("UPDATE products SET price_cents = $2 WHERE sku = $1 RETURNING #{@columns}", [
      sku,
      price_cents
    ])
  end

  @spec delete(String.t()) :: :ok
  def delete(sku) do
    Repo.query!("DELETE FROM products WHERE sku = $1", [sku])
    :ok
  end

  defp one(sql, params) do
    case Repo.query!(sql, params) do
      [row] -> {:ok, Product.from_row(row)}
      [] -> {:error, :not_found}
    end
  end
end
