# An ExUnit formatter that writes one JSON report when the suite finishes, so the runner
# reads structured results instead of scraping the CLI formatter's prose.
#
# Loaded from outside the user's repository:
#   elixir -r exunit_formatter.exs -S mix test <file> \
#     --formatter CtsTestRunner.JSONFormatter --formatter ExUnit.CLIFormatter
# The report path comes from CTS_EXUNIT_REPORT, removed from the environment at once so the
# tests under run never see it. OTP 25 has no :json module, hence the small encoder below.

defmodule CtsTestRunner.JSON do
  @moduledoc false

  def encode(nil), do: "null"
  def encode(true), do: "true"
  def encode(false), do: "false"
  def encode(value) when is_integer(value), do: Integer.to_string(value)
  def encode(value) when is_float(value), do: Float.to_string(value)
  def encode(value) when is_atom(value), do: encode(Atom.to_string(value))

  def encode(value) when is_binary(value) do
    text = if String.valid?(value), do: value, else: inspect(value)
    [?", escape(text, []), ?"]
  end

  def encode(value) when is_list(value), do: [?[, Enum.map_intersperse(value, ?,, &encode/1), ?]]

  def encode(value) when is_map(value) do
    pairs = Enum.map_intersperse(value, ?,, fn {k, v} -> [encode(to_string(k)), ?:, encode(v)] end)
    [?{, pairs, ?}]
  end

  def encode(value), do: encode(inspect(value))

  defp escape(<<>>, acc), do: Enum.reverse(acc)
  defp escape(<<?", rest::binary>>, acc), do: escape(rest, ["\\\"" | acc])
  defp escape(<<?\\, rest::binary>>, acc), do: escape(rest, ["\\\\" | acc])
  defp escape(<<?\n, rest::binary>>, acc), do: escape(rest, ["\\n" | acc])
  defp escape(<<?\r, rest::binary>>, acc), do: escape(rest, ["\\r" | acc])
  defp escape(<<?\t, rest::binary>>, acc), do: escape(rest, ["\\t" | acc])

  defp escape(<<c, rest::binary>>, acc) when c < 0x20 do
    hex = c |> Integer.to_string(16) |> String.pad_leading(4, "0")
    escape(rest, ["\\u" <> hex | acc])
  end

  defp escape(<<c::utf8, rest::binary>>, acc), do: escape(rest, [<<c::utf8>> | acc])
end

defmodule CtsTestRunner.JSONFormatter do
  @moduledoc false
  use GenServer

  @max_message 4_000
  @max_tests 2_000

  def init(_opts) do
    path = :persistent_term.get({__MODULE__, :report}, nil)
    {:ok, %{path: path, tests: [], count: 0, modules: []}}
  end

  def handle_cast({:test_finished, %ExUnit.Test{} = test}, state) do
    state = %{state | count: state.count + 1}

    if state.count <= @max_tests do
      {:noreply, %{state | tests: [describe_test(test) | state.tests]}}
    else
      {:noreply, state}
    end
  end

  def handle_cast({:module_finished, %ExUnit.TestModule{state: {:failed, failures}} = mod}, state) do
    entry = %{module: inspect(mod.name), message: failure_message(failures)}
    {:noreply, %{state | modules: [entry | state.modules]}}
  end

  def handle_cast({:suite_finished, _times}, state) do
    write_report(state)
    {:noreply, state}
  end

  def handle_cast(_event, state), do: {:noreply, state}

  defp describe_test(%ExUnit.Test{} = test) do
    tags = test.tags
    describe = Map.get(tags, :describe)
    full = Atom.to_string(test.name)
    prefix = "#{Map.get(tags, :test_type, :test)} "
    name = full |> String.replace_prefix(prefix, "") |> strip_describe(describe)
    {state, message} = state_of(test)

    %{
      module: inspect(test.module),
      describe: describe,
      name: name,
      test_type: Map.get(tags, :test_type, :test),
      file: relative(Map.get(tags, :file)),
      line: Map.get(tags, :line),
      state: state,
      message: message
    }
  end

  defp strip_describe(name, nil), do: name
  defp strip_describe(name, describe), do: String.replace_prefix(name, describe <> " ", "")

  defp state_of(%ExUnit.Test{state: nil}), do: {"passed", nil}
  defp state_of(%ExUnit.Test{state: {:skipped, reason}}), do: {"skipped", to_string(reason)}
  defp state_of(%ExUnit.Test{state: {:excluded, reason}}), do: {"excluded", to_string(reason)}
  defp state_of(%ExUnit.Test{state: {:invalid, mod}}), do: {"invalid", "setup_all failed in #{inspect(mod.name)}"}

  defp state_of(%ExUnit.Test{state: {:failed, failures}} = test) do
    text =
      try do
        ExUnit.Formatter.format_test_failure(test, failures, 1, 98, fn _, msg -> msg end)
      rescue
        _ -> failure_message(failures)
      end

    {"failed", cap(text)}
  end

  defp failure_message(failures) do
    failures
    |> Enum.map_join("\n", fn {kind, reason, stack} -> Exception.format(kind, reason, stack) end)
    |> cap()
  end

  defp cap(text) when byte_size(text) > @max_message,
    do: String.slice(text, 0, @max_message) <> "\n… (message truncated)"

  defp cap(text), do: text

  defp relative(nil), do: nil
  defp relative(file), do: Path.relative_to(file, File.cwd!())

  defp write_report(%{path: nil}), do: :ok

  defp write_report(state) do
    tests = Enum.reverse(state.tests)
    count = fn wanted -> Enum.count(tests, &(&1.state == wanted)) end

    report = %{
      version: 1,
      total: state.count,
      passed: count.("passed"),
      failed: count.("failed"),
      skipped: count.("skipped"),
      excluded: count.("excluded"),
      invalid: count.("invalid"),
      truncated: state.count > @max_tests,
      tests: tests,
      module_failures: Enum.reverse(state.modules)
    }

    tmp = state.path <> ".tmp"
    File.write!(tmp, CtsTestRunner.JSON.encode(report))
    File.rename!(tmp, state.path)
  end
end

case System.get_env("CTS_EXUNIT_REPORT") do
  nil ->
    :ok

  path ->
    :persistent_term.put({CtsTestRunner.JSONFormatter, :report}, path)
    System.delete_env("CTS_EXUNIT_REPORT")
end
