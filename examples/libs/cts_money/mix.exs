defmodule CtsMoney.MixProject do
  use Mix.Project

  def project do
    [app: :cts_money, version: "0.1.0", elixir: "~> 1.14", deps: []]
  end

  def application, do: []
end
