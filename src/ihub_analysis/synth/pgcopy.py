"""Postgres binary ``COPY`` for event chunks, encoded column-wise with Arrow kernels.

Binary COPY spares the server parsing UUIDs, timestamps and text (about a fifth
of its work per event row, measured) and is cheaper to produce than CSV:
every field becomes an Arrow binary column holding its length-prefixed wire
form — dictionary columns by one ``take`` over pre-encoded entries — and
``binary_join_element_wise`` with an empty separator concatenates them into
exactly the COPY tuples.  Only the column types of ``interaction_events``
are supported; the small tables go as CSV.
"""

from __future__ import annotations

import struct

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Microseconds from the Unix epoch to Postgres' (2000-01-01).
PG_EPOCH_US = 946_684_800_000_000
_NULL = struct.pack(">i", -1)
_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_TRAILER = struct.pack(">h", -1)


def _fixed(parts: list[np.ndarray]) -> pa.Array:
    """Rows made of fixed-width byte blocks, as a variable-width binary column."""
    data = np.ascontiguousarray(np.hstack(parts))
    n, width = data.shape
    return pa.Array.from_buffers(pa.binary(width), n, [None, pa.py_buffer(data)]).cast(pa.binary())


def _prefix(data: bytes, n: int) -> np.ndarray:
    return np.broadcast_to(np.frombuffer(data, np.uint8), (n, len(data)))


def _uuid_field(array: pa.ExtensionArray, lead: bytes) -> pa.Array:
    storage = array.storage
    n = len(storage)
    raw = np.frombuffer(storage.buffers()[1], np.uint8)
    raw = raw[storage.offset * 16 : (storage.offset + n) * 16].reshape(n, 16)
    out = _fixed([_prefix(lead + struct.pack(">i", 16), n), raw])
    if not storage.null_count:
        return out
    return pc.if_else(storage.is_valid(), out, pa.scalar(lead + _NULL, pa.binary()))


def _dictionary_field(array: pa.DictionaryArray, lead: bytes) -> pa.Array:
    values = array.dictionary
    jsonb = isinstance(values.type, pa.JsonType)
    texts = (values.storage if jsonb else values).to_pylist()
    encoded = [
        lead + struct.pack(">i", len(b) + jsonb) + (b"\x01" if jsonb else b"") + b  # jsonb v1
        for b in (t.encode() for t in texts)
    ]
    entries = pa.array([*encoded, lead + _NULL], pa.binary())
    return pc.take(entries, array.indices.fill_null(len(encoded)))


def _timestamp_field(array: pa.TimestampArray, lead: bytes) -> pa.Array:
    us = array.cast(pa.int64()).to_numpy() - PG_EPOCH_US
    n = len(us)
    return _fixed(
        [_prefix(lead + struct.pack(">i", 8), n), us.astype(">i8").view(np.uint8).reshape(n, 8)]
    )


def encode(tbl: pa.Table) -> list[memoryview]:
    """The binary COPY stream of the rows of ``tbl`` (its column order), in pieces to send."""
    fields = []
    for i, column in enumerate(tbl.columns):
        array = column.combine_chunks()
        # Each tuple starts with its field count: carried by the first field's entries.
        lead = struct.pack(">h", tbl.num_columns) if i == 0 else b""
        if isinstance(array.type, pa.UuidType):
            fields.append(_uuid_field(array, lead))
        elif isinstance(array.type, pa.DictionaryType):
            fields.append(_dictionary_field(array, lead))
        elif isinstance(array.type, pa.TimestampType):
            fields.append(_timestamp_field(array, lead))
        else:
            raise TypeError(f"no binary COPY encoding for {tbl.column_names[i]} ({array.type})")
    rows = pc.binary_join_element_wise(*fields, b"")
    offsets = np.frombuffer(rows.buffers()[1], np.int32)
    body = rows.buffers()[2][offsets[rows.offset] : offsets[rows.offset + len(rows)]]
    return [memoryview(_HEADER), memoryview(body), memoryview(_TRAILER)]
