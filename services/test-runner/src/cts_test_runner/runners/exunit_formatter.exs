# An ExUnit formatter that streams the suite's results as JSON lines, so the runner reads
# structured results instead of scraping the CLI formatter's prose.
#
# Loaded from outside the user's repository, before any of its code:
#   elixir -r exunit_formatter.exs -S mix test <file> \
#     --formatter CtsTestRunner.JSONFormatter --formatter ExUnit.CLIFormatter
# The lines go to a pipe inherited as a file descriptor (CTS_EXUNIT_REPORT_FD, removed from
# the environment as this file loads): there is no report file a test could find and
# overwrite. One line per test, one when the suite finishes, and one from System.at_exit when
# the VM leaves through ExUnit's normal exit (a test calling System.halt skips it), so the
# runner can tell a finished suite from one cut short. OTP 25 has no :json module, hence the
# small encoder below.

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

defmodule CtsTestRunner.Channel do
  @moduledoc false
  # The port lives in a process of its own: the process that loads this file ends before the
  # VM's exit hooks run, and a port dies with its owner.

  def open do
    case System.get_env("CTS_EXUNIT_REPORT_FD") do
      nil ->
        :ok

      fd ->
        System.delete_env("CTS_EXUNIT_REPORT_FD")
        fd = String.to_integer(fd)
        parent = self()

        writer =
          spawn(fn ->
            port = Port.open({:fd, 0, fd}, [:out, :binary])
            send(parent, {:channel_ready, self()})
            loop(port)
          end)

        receive do
          {:channel_ready, ^writer} -> :ok
        end

        :persistent_term.put({__MODULE__, :writer}, writer)
        System.at_exit(fn status -> emit(%{event: "exit", status: status}) end)
    end
  end

  def emit(event) do
    case :persistent_term.get({__MODULE__, :writer}, nil) do
      nil ->
        :ok

      writer ->
        ref = make_ref()
        send(writer, {:emit, self(), ref, [CtsTestRunner.JSON.encode(event), ?\n]})

        receive do
          {^ref, :written} -> :ok
        after
          5_000 -> :ok
        end
    end
  end

  defp loop(port) do
    receive do
      {:emit, from, ref, line} ->
        Port.command(port, line)
        send(from, {ref, :written})
        loop(port)
    end
  end
end

defmodule CtsTestRunner.JSONFormatter do
  @moduledoc false
  use GenServer

  @max_message 4_000
  @max_tests 2_000

  def init(_opts) do
    {:ok, %{count: 0, states: %{}}}
  end

  def handle_cast({:test_finished, %ExUnit.Test{} = test}, state) do
    entry = describe_test(test)
    count = state.count + 1
    if count <= @max_tests, do: CtsTestRunner.Channel.emit(Map.put(entry, :event, "test"))
    states = Map.update(state.states, entry.state, 1, &(&1 + 1))
    {:noreply, %{state | count: count, states: states}}
  end

  def handle_cast({:module_finished, %ExUnit.TestModule{state: {:failed, failures}} = mod}, state) do
    CtsTestRunner.Channel.emit(%{
      event: "module_failed",
      module: inspect(mod.name),
      message: failure_message(failures)
    })

    {:noreply, state}
  end

  def handle_cast({:suite_started, _opts}, state) do
    CtsTestRunner.Channel.emit(%{event: "suite_started"})
    {:noreply, state}
  end

  def handle_cast({:suite_finished, _times}, state) do
    counts = for name <- ~w(passed failed skipped excluded invalid), into: %{}, do: {name, Map.get(state.states, name, 0)}

    CtsTestRunner.Channel.emit(
      Map.merge(counts, %{"event" => "suite_finished", "total" => state.count, "truncated" => state.count > @max_tests})
    )

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
end

CtsTestRunner.Channel.open()
