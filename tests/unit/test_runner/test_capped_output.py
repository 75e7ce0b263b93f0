"""The output cap: head and tail kept while streaming, a marker at the cut."""

from __future__ import annotations

import pytest

from cts_test_runner.capped_output import CappedOutput


def test_small_output_is_kept_whole() -> None:
    sink = CappedOutput(100)
    sink.write(b"hello ")
    sink.write(b"world")

    assert sink.render() == "hello world"
    assert not sink.truncated
    assert sink.total == 11


def test_large_output_keeps_head_and_tail_with_a_marker() -> None:
    sink = CappedOutput(20)
    for index in range(1000):
        sink.write(f"{index:04d}\n".encode())

    text = sink.render()
    assert sink.truncated
    assert sink.total == 5000
    assert text.startswith("0000\n0001\n")
    assert text.endswith("0998\n0999\n")
    assert "[... output truncated: 4980 bytes omitted ...]" in text


def test_memory_stays_bounded_while_streaming() -> None:
    sink = CappedOutput(1024)
    chunk = b"x" * 4096
    for _ in range(10_000):  # 40 MB through the sink
        sink.write(chunk)

    assert sink.total == 40_960_000
    assert sink._tail_size <= 1024 + len(chunk)
    assert len(sink.render().encode()) < 1024 + 100


def test_a_chunk_split_across_head_and_tail_loses_nothing_when_it_fits() -> None:
    sink = CappedOutput(10)
    sink.write(b"abcdefgh")
    sink.write(b"ij")

    assert sink.render() == "abcdefghij"


def test_undecodable_bytes_are_replaced() -> None:
    sink = CappedOutput(100)
    sink.write(b"ok \xff\xfe end")

    assert sink.render() == "ok \ufffd\ufffd end"


def test_a_cap_below_two_bytes_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        CappedOutput(1)
