"""The types of the tables the public functions take and return (for type
checkers; nothing here is needed at run time).

A function given a table returns one of the same library: a pandas
DataFrame for a pandas DataFrame, a polars DataFrame for a polars DataFrame
or LazyFrame, a pyarrow Table for anything else (a pyarrow Table or
RecordBatch, a dict of arrays, an object with ``__arrow_c_stream__``); the
overloads of those functions say so. Results that keep tables of the
caller's library type them as :data:`Table`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, TypeAlias, Union

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow

#: The table libraries ciblage returns.
Library = Literal["pyarrow", "pandas", "polars"]

#: A table of the caller's library: pandas or polars DataFrame, else pyarrow Table.
Table: TypeAlias = Union["pandas.DataFrame", "polars.DataFrame", "pyarrow.Table"]
