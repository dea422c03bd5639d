"""The base of the results of ``ciblage.basket``: a pyarrow table given
back in any library."""

from __future__ import annotations

from typing import Any

import pyarrow as pa


class _Result:
    """A result holding a pyarrow ``table``, returned in any library."""

    table: pa.Table
    input_report: dict[str, Any]

    def to_arrow(self) -> pa.Table:
        """The table as a pyarrow Table."""
        return self.table

    def to_pandas(self) -> Any:
        """The table as a pandas DataFrame (the input report in ``attrs``)."""
        df = self.table.to_pandas()
        df.attrs["input_report"] = dict(self.input_report)
        return df

    def to_polars(self) -> Any:
        """The table as a polars DataFrame (polars must be installed)."""
        import polars as pl

        return pl.from_arrow(self.table)

    def __len__(self) -> int:
        return self.table.num_rows
