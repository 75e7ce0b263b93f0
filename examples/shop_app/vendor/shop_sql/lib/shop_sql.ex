defmodule ShopSql do
  @moduledoc """
  SQL text for a driver that speaks only PostgreSQL's simple query protocol: `$n` parameters
  bound as quoted literals, quoted identifiers, and result rows decoded into maps.
  """

  @doc "Replaces `$1`, `$2`, ... in `sql` with the quoted literals of `params`."
  @spec bind(String.t(), list()) :: String.t()
  def bind(sql, params) do
    values = List.to_tuple(params)

    Regex.replace(~r/\$(\d+)/, sql, fn _, index ->
      literal(elem(values, String.to_integer(index) - 1))
    end)
  end

  @spec literal(term()) :: String.t()
  def literal(nil), do: "NULL"
  def literal(true), do: "TRUE"
  def literal(false), do: "FALSE"
  def literal(value) when is_integer(value), do: Integer.to_string(value)
  def literal(%DateTime{} = value), do: literal(DateTime.to_iso8601(value))
  def literal(value) when is_binary(value), do: "'" <> String.replace(value, "'", "''") <> "'"

  @spec identifier(String.t()) :: String.t()
  def identifier(name), do: ~s(") <> String.replace(name, ~s("), ~s("")) <> ~s(")

  @doc """
  Rows as maps keyed by column name (atoms): `columns` are `{name, type}` pairs as the driver
  describes a statement, each row a list of `{type, text}` values (`:null` for NULL).
  """
  @spec decode([{charlist(), atom()}], [list()]) :: [map()]
  def decode(columns, rows) do
    names = for {name, _type} <- columns, do: List.to_atom(name)

    for row <- rows do
      names
      |> Enum.zip(row)
      |> Map.new(fn {name, {type, value}} -> {name, cast(type, value)} end)
    end
  end

  defp cast(_type, :null), do: nil
  defp cast(type, value) when type in [:int2, :int4, :int8], do: String.to_integer(value)
  defp cast(:bool, value), do: value in ["t", "true", "1", <<1>>]
  defp cast(_type, value), do: value
end
