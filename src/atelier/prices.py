"""The price table in effect: Recraft's (catalog.PRICES) with the operator's overrides."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from atelier import catalog
from atelier.errors import InvalidRequest
from atelier.requests import Delivery


class Prices(Mapping[str, int]):
    """Units per price key, and the rules that pick a key for an operation."""

    def __init__(self, overrides: Mapping[str, int] | None = None) -> None:
        overrides = dict(overrides or {})
        unknown = set(overrides) - set(catalog.PRICES)
        if unknown:
            raise InvalidRequest(
                f"unknown price keys {sorted(unknown)}; known: {sorted(catalog.PRICES)}", "prices"
            )
        self._units = {key: overrides.get(key, s.units) for key, s in catalog.PRICES.items()}

    def __getitem__(self, key: str) -> int:
        return self._units[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._units)

    def __len__(self) -> int:
        return len(self._units)

    def generation(self, model: catalog.Model, vector: bool) -> int:
        """Per image of text-to-image (and explore) with ``model``."""
        return self._units[catalog.generation_price_key(model, vector)]

    def edit(self, edit: catalog.Edit, vector: bool) -> int:
        """Per image of one of catalog.EDITS."""
        return self._units[edit.price_key_for(vector)]

    def outpaint(self, vector: bool) -> int:
        return self._units[f"{'vector' if vector else 'raster'}_outpainting"]

    def finishing(self, delivery: Delivery, count: int) -> int:
        """What the delivery options add: the upscale option is one crisp upscale per image."""
        return self._units["crisp_upscale"] * count if delivery.upscale else 0
