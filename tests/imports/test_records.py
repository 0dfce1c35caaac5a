"""Splitting uploads into records: over-long records are skipped, never held whole."""

import gzip
import tracemalloc

from attrium.imports.records import Record, RecordSplitter, RecordTooLong

LIMIT = 1024


def _split(splitter: RecordSplitter, upload: bytes, chunk_bytes: int) -> list[Record]:
    """Every record, checking at each one and after each chunk what the splitter holds."""
    records: list[Record] = []
    for start in range(0, len(upload), chunk_bytes):
        for record in splitter.feed(upload[start : start + chunk_bytes]):
            assert splitter.held_bytes <= LIMIT
            records.append(record)
        assert splitter.held_bytes <= LIMIT
    records.extend(splitter.close())
    return records


def test_an_over_long_line_is_skipped_between_good_ones() -> None:
    long_line = b'{"id": "x", "note": "' + b"a" * 100 * 1024 + b'"}'
    content = b'{"id": "a"}\n' + long_line + b'\n{"id": "b"}\n'
    for upload in (content, gzip.compress(content)):
        for chunk_bytes in (7, 1000, len(upload)):
            records = _split(RecordSplitter(False, LIMIT), upload, chunk_bytes)
            assert records == [b'{"id": "a"}', RecordTooLong(len(long_line), LIMIT), b'{"id": "b"}']


def test_a_line_at_the_limit_is_kept() -> None:
    line = b"x" * LIMIT
    assert _split(RecordSplitter(False, LIMIT), line + b"\n" + line, 100) == [line, line]


def test_an_over_long_csv_record_is_skipped_up_to_its_end_across_quoted_newlines() -> None:
    long_cell = b'"' + b"line\n" * 1000 + b'"'
    content = b"id,note\r\nc1,a\r\nc2," + long_cell + b'\r\nc3,"two\nlines"\r\n'
    records = _split(RecordSplitter(True, LIMIT), gzip.compress(content), 64)
    assert records == [
        b"id,note\r",
        b"c1,a\r",
        RecordTooLong(len(b"c2,") + len(long_cell) + 1, LIMIT),
        b'c3,"two\nlines"\r',
    ]


def test_chunk_boundaries_do_not_change_the_records() -> None:
    content = b"".join(b'r%d,"q\n%s"\n' % (n, b"z" * (n * 37 % 1500)) for n in range(200))
    whole = _split(RecordSplitter(True, LIMIT), content, len(content))
    assert sum(isinstance(record, RecordTooLong) for record in whole) > 0
    for chunk_bytes in (1, 13, 4096):
        assert _split(RecordSplitter(True, LIMIT), content, chunk_bytes) == whole


def test_a_gzip_bomb_line_is_never_inflated_whole() -> None:
    bomb = gzip.compress(b"a" * 64 * 1024**2 + b"\nok\n")
    tracemalloc.start()
    try:
        splitter = RecordSplitter(False, 1024**2)
        records = [*splitter.feed(bomb), *splitter.close()]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert records == [RecordTooLong(64 * 1024**2, 1024**2), b"ok"]
    # The line is 64 MiB: the splitter holds at most the limit and one inflated piece.
    assert peak < 8 * 1024**2
