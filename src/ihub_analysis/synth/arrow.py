"""Arrow columns for the generated tables, typed by the one schema description.

UUIDs travel as Arrow's canonical ``arrow.uuid`` extension (16 raw bytes),
which DuckDB reads natively as UUID — no text round trip on the fast path.
Postgres gets the canonical text form instead, formatted here vectorised.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from ihub_analysis.schema import Column, inter_hub_schema
from ihub_analysis.synth.core import NO_TIME

TIMESTAMP = pa.timestamp("us", tz="UTC")
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
#: Where each of the 16 bytes' two hex digits go in the 36-character text form.
_HEX_POSITIONS = np.array([0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34])
_DASHES = (8, 13, 18, 23)


def _validity(valid: np.ndarray | None) -> pa.Buffer | None:
    if valid is None or bool(valid.all()):
        return None
    return pa.py_buffer(np.packbits(valid, bitorder="little"))


def uuid_array(raw: np.ndarray, valid: np.ndarray | None = None) -> pa.ExtensionArray:
    """UUIDs from an ``(n, 16)`` uint8 array; rows where ``valid`` is False are NULL."""
    data = np.ascontiguousarray(raw, dtype=np.uint8)
    storage = pa.Array.from_buffers(
        pa.binary(16), len(data), [_validity(valid), pa.py_buffer(data)]
    )
    return pa.ExtensionArray.from_storage(pa.uuid(), storage)


def ref(ids: np.ndarray, index: np.ndarray | Sequence[int]) -> pa.ExtensionArray:
    """Foreign-key column: ``ids[index]``, NULL where the index is negative."""
    idx = np.asarray(index, dtype=np.int64)
    return uuid_array(
        ids[np.maximum(idx, 0)] if len(ids) else np.zeros((len(idx), 16), np.uint8), idx >= 0
    )


def dictionary(
    codes: np.ndarray, values: Sequence[str], valid: np.ndarray | None = None
) -> pa.DictionaryArray:
    """A string column stored as codes into ``values`` (cheap for low-cardinality text)."""
    mask = None if valid is None else ~valid
    return pa.DictionaryArray.from_arrays(
        pa.array(codes, mask=mask), pa.array(list(values), pa.string())
    )


def json_dictionary(codes: np.ndarray, documents: Sequence[str]) -> pa.DictionaryArray:
    """A JSON column stored as codes into ``documents``.

    The documents carry Arrow's ``arrow.json`` type, so DuckDB takes them as JSON
    as they are instead of re-validating the same few texts on every row.
    """
    values = pa.ExtensionArray.from_storage(pa.json_(), pa.array(list(documents), pa.string()))
    return pa.DictionaryArray.from_arrays(pa.array(codes), values)


def timestamps(us: np.ndarray | Sequence[int]) -> pa.Array:
    """UTC timestamps from µs since the epoch; NO_TIME becomes NULL."""
    values = np.asarray(us, dtype=np.int64)
    missing = values == NO_TIME
    return pa.array(values, type=TIMESTAMP, mask=missing if missing.any() else None)


_PLAIN_TYPES = {
    "text": pa.string(),
    "jsonb": pa.string(),
    "numeric": pa.string(),  # exact decimal text: DuckDB casts it, Postgres parses it
    "integer": pa.int32(),
    "smallint": pa.int16(),
    "boolean": pa.bool_(),
}


def _array(column: Column, values: Any) -> pa.Array:
    if isinstance(values, pa.Array):
        return values
    if column.pg_type == "uuid":
        return uuid_array(np.asarray(values, dtype=np.uint8).reshape(-1, 16))
    if column.pg_type == "timestamp with time zone":
        return timestamps(values)
    return pa.array(values, type=_PLAIN_TYPES[column.pg_type])


def table(name: str, columns: dict[str, Any]) -> pa.Table:
    """The rows of Inter-Hub table ``name``, its columns in schema order and types."""
    spec = inter_hub_schema()[name]
    if set(columns) != set(spec.column_names):
        raise ValueError(
            f"{name}: columns {sorted(set(columns) ^ set(spec.column_names))} mismatch"
        )
    return pa.Table.from_arrays(
        [_array(c, columns[c.name]) for c in spec.columns], names=spec.column_names
    )


def uuid_text(array: pa.Array) -> pa.StringArray:
    """Canonical text of a UUID column (for Postgres COPY), vectorised."""
    storage = array.storage if isinstance(array, pa.ExtensionArray) else array
    n = len(storage)
    data = np.frombuffer(storage.buffers()[1], dtype=np.uint8)
    raw = data[storage.offset * 16 : (storage.offset + n) * 16].reshape(n, 16)
    out = np.empty((n, 36), dtype=np.uint8)
    out[:, _HEX_POSITIONS] = _HEX[raw >> 4]
    out[:, _HEX_POSITIONS + 1] = _HEX[raw & 0x0F]
    out[:, _DASHES] = ord("-")
    offsets = np.arange(0, 36 * (n + 1), 36, dtype=np.int32)
    validity = storage.buffers()[0] if storage.null_count else None
    if validity is not None and storage.offset:
        validity = _validity(storage.is_valid().to_numpy(zero_copy_only=False))
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(out), validity)


def for_postgres(tbl: pa.Table) -> pa.Table:
    """The same table with its UUID columns as text, ready for a CSV ``COPY``."""
    return pa.Table.from_arrays(
        [
            uuid_text(col.combine_chunks()) if isinstance(col.type, pa.UuidType) else col
            for col in tbl.columns
        ],
        names=tbl.column_names,
    )
