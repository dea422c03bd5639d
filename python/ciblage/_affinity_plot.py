"""Chart of an affinity table (:func:`ciblage.basket.segment_affinity`):
the lift of each segment for the products most loved by some segment."""

from __future__ import annotations

from typing import Any

from ciblage.plot._display import Display, check_result, heatmap, require_pandas

__all__ = ["AffinityDisplay"]


class AffinityDisplay(Display):
    """Heatmap of the lift: one row per segment, one column per product
    (the ``top`` products of highest lift in any segment, among those with
    a buyer); the colour is log2 of the lift (1 in the middle), the text
    the lift itself.

    Attributes:
        data: one row per (segment, product) drawn: segment, product,
            lift, penetration, p_adjusted.
    """

    def __init__(self, data: Any, segments: list[Any], products: list[Any]) -> None:
        self.data = data
        self.segments = segments
        self.products = products

    @classmethod
    def from_result(cls, result: Any, top: int = 15) -> AffinityDisplay:
        """The chart of an :class:`~ciblage.basket.AffinityTable`."""
        from ._params import as_int

        check_result(result, ("table", "segments"), "an AffinityTable (ciblage.basket.segment_affinity)")
        top = as_int(top, "top", 1)
        pd = require_pandas()
        df = result.table.to_pandas()
        bought = df[df["buyers"] > 0]
        best = bought.groupby("product", sort=True)["lift"].max().sort_values(ascending=False, kind="stable")
        products = list(best.index[:top])
        data = df[df["product"].isin(products)][["segment", "product", "lift", "penetration", "p_adjusted"]]
        segments = list(result.segments.column("segment").to_pylist())
        return cls(pd.DataFrame(data).reset_index(drop=True), segments, products)

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        import numpy as np

        grid = self.data.pivot(index="segment", columns="product", values="lift")
        grid = grid.reindex(index=self.segments, columns=self.products)
        lift = grid.to_numpy(dtype="float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.log2(np.where(lift > 0, lift, np.nan))
        finite = z[np.isfinite(z)]
        bound = float(np.abs(finite).max()) if finite.size else 1.0
        text = [["" if not np.isfinite(v) else f"{v:.2g}" for v in row] for row in lift]
        kwargs.setdefault("cmap", "RdBu_r")
        kwargs.setdefault("vmin", -bound)
        kwargs.setdefault("vmax", bound)
        heatmap(ax, z, self.products, self.segments, annotations=text, colorbar="log2 lift", **kwargs)
        ax.tick_params(axis="x", labelrotation=45)
        ax.set_xlabel("product")
        ax.set_ylabel("segment")
        ax.set_title("Affinity by segment (lift)")
