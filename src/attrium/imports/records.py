"""An upload's records out of its (maybe gzipped) bytes, in bounded memory.

A record is a line (for CSV, lines joined while a quoted cell spans them). Gzip is
inflated a bounded piece at a time, and a record longer than the limit is not kept:
the rest of it is skipped up to its end and it comes out as a `RecordTooLong`. So
what the splitter holds stays under the limit plus one piece, whatever the upload
(a 255 KB gzip of one 250 MB line once took a gigabyte).
"""

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from attrium.core.errors import MalformedRequest

GZIP_MAGIC = b"\x1f\x8b"
INFLATE_PIECE_BYTES = 256 * 1024  # most bytes one step of gzip inflation returns


@dataclass(frozen=True, slots=True)
class RecordTooLong:
    """A record over the limit, skipped: only its size is kept."""

    size: int
    limit: int


Record = bytes | RecordTooLong


class RecordSplitter:
    """Splits a byte stream into records of at most `max_record_bytes` (without their
    newline); CSV records may span lines inside quotes."""

    def __init__(self, quoted_newlines: bool, max_record_bytes: int) -> None:
        self.quoted_newlines = quoted_newlines
        self.max_record_bytes = max_record_bytes
        self.decompressor: Any = None
        self.started = False
        self.pending = bytearray()  # the record being read, while under the limit
        self.pending_size = 0  # its size so far, also once over the limit
        self.in_quotes = False

    @property
    def held_bytes(self) -> int:
        """What the splitter holds of the record being read."""
        return len(self.pending)

    def feed(self, data: bytes) -> Iterator[Record]:
        if not self.started:
            self.started = True
            if data.startswith(GZIP_MAGIC):
                self.decompressor = zlib.decompressobj(wbits=31)
        for piece in self._pieces(data):
            yield from self._split(piece)

    def close(self) -> Iterator[Record]:
        if self.decompressor is not None:
            yield from self._split(self.decompressor.flush())
            if not self.decompressor.eof:
                raise MalformedRequest("the gzip stream ends early")
        if self.pending_size:
            yield self._take()

    def _pieces(self, data: bytes) -> Iterator[bytes]:
        if self.decompressor is None:
            yield data
            return
        while True:
            piece = self._inflate(data)
            if piece:
                yield piece
            data = self.decompressor.unconsumed_tail
            # A full piece may leave output behind even once all input is consumed.
            if not data and len(piece) < INFLATE_PIECE_BYTES:
                return

    def _inflate(self, data: bytes) -> bytes:
        try:
            return bytes(self.decompressor.decompress(data, INFLATE_PIECE_BYTES))
        except zlib.error as error:
            raise MalformedRequest(f"the upload is not valid gzip: {error}") from None

    def _split(self, piece: bytes) -> Iterator[Record]:
        *ended_lines, rest = piece.split(b"\n")
        for line in ended_lines:
            if not self.pending_size and self._whole(line):
                yield line  # the common case, without a copy
                continue
            self._append(line)
            if self.in_quotes:
                self._append(b"\n")  # inside a quoted cell: the newline is part of it
            else:
                yield self._take()
        self._append(rest)

    def _whole(self, line: bytes) -> bool:
        """Whether a line read from its start is a record of its own, under the limit."""
        if len(line) > self.max_record_bytes:
            return False
        return not self.quoted_newlines or line.count(b'"') % 2 == 0

    def _append(self, segment: bytes) -> None:
        if self.quoted_newlines and segment.count(b'"') % 2:
            self.in_quotes = not self.in_quotes
        self.pending_size += len(segment)
        if self.pending_size > self.max_record_bytes:
            self.pending.clear()  # over the limit: the rest is only counted
        else:
            self.pending += segment

    def _take(self) -> Record:
        record: Record = bytes(self.pending)
        if self.pending_size > self.max_record_bytes:
            record = RecordTooLong(self.pending_size, self.max_record_bytes)
        self.pending.clear()
        self.pending_size = 0
        return record
