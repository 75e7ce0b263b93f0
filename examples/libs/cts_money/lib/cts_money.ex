defmodule CtsMoney do
  @moduledoc """
  Amounts as integer cents, formatted and parsed as "12.50 EUR".
  """

  @doc """
  Formats `cents` in `currency`.

      iex> CtsMoney.format(1250, "EUR")
      "12.50 EUR"
  """
  @spec format(integer(), String.t()) :: String.t()
  def format(cents, currency) when is_integer(cents) and is_binary(currency) do
    sign = if cents < 0, do: "-", else: ""
    units = div(abs(cents), 100)
    rest = rem(abs(cents), 100) |> Integer.to_string() |> String.pad_leading(2, "0")
    "#{sign}#{units}.#{rest} #{currency}"
  end

  @doc """
  Parses "12.50 EUR" (or "12 EUR") into `{:ok, {1250, "EUR"}}`.
  """
  @spec parse(String.t()) :: {:ok, {integer(), String.t()}} | :error
  def parse(text) when is_binary(text) do
    case Regex.run(~r/^(-?)(\d+)(?:\.(\d{2}))?\s+([A-Z]{3})$/, String.trim(text)) do
      [_, sign, units, cents, currency] ->
        amount =
          String.to_integer(units) * 100 + if(cents == "", do: 0, else: String.to_integer(cents))

        {:ok, {if(sign == "-", do: -amount, else: amount), currency}}

      _ ->
        :error
    end
  end
end
