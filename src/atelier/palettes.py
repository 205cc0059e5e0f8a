"""Palette optimisation: a weighted palette reduced to at most N colours, clustered in CIELAB."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from atelier.delivery import Charging
from atelier.engines.base import RGB
from atelier.errors import InvalidRequest
from atelier.imaging.colors import to_hex

MAX_COLORS = 256
MAX_ITERATIONS = 100
_HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")

# sRGB (D65) -> CIE XYZ, and the D65 white point, as in IEC 61966-2-1 and CIE 15.
_RGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
_WHITE_D65 = np.array([0.95047, 1.0, 1.08883])


def parse_hex(text: str, param: str) -> RGB:
    """``"#rrggbb"``, ``"rrggbb"``, ``"#rgb"`` or ``"rgb"`` (any case) -> (r, g, b)."""
    match = _HEX.fullmatch(text.strip())
    if match is None:
        raise InvalidRequest(
            f"{text!r} is not a hex colour; write it as #rrggbb or #rgb", param=param
        )
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))


def srgb_to_lab(colors: np.ndarray) -> np.ndarray:
    """(n, 3) sRGB 0..255 -> (n, 3) CIELAB (D65): distances there follow perceived difference."""
    c = np.asarray(colors, dtype=np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _RGB_TO_XYZ.T / _WHITE_D65
    eps, kappa = 216 / 24389, 24389 / 27
    f = np.where(xyz > eps, np.cbrt(xyz), (kappa * xyz + 16) / 116)
    return np.stack(
        [116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1
    )


def _squared_distances(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    return np.asarray(((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2))


def _initial_centres(lab: np.ndarray, weights: np.ndarray, k: int) -> np.ndarray:
    """Deterministic weighted farthest-point seeding (k-means++ with the argmax, not a draw)."""
    chosen = [int(np.argmax(weights))]
    nearest = ((lab - lab[chosen[0]]) ** 2).sum(axis=1)
    while len(chosen) < k:
        score = weights * nearest
        if score.max() <= 0:  # only weightless colours are left uncovered
            score = nearest
        index = int(np.argmax(score))
        chosen.append(index)
        nearest = np.minimum(nearest, ((lab - lab[index]) ** 2).sum(axis=1))
    return lab[chosen].copy()


def _cluster(lab: np.ndarray, weights: np.ndarray, k: int) -> np.ndarray:
    """Weighted k-means (Lloyd) in Lab; the cluster index of every colour."""
    centres = _initial_centres(lab, weights, k)
    labels = np.argmin(_squared_distances(lab, centres), axis=1)
    for _ in range(MAX_ITERATIONS):
        error = weights * ((lab - centres[labels]) ** 2).sum(axis=1)
        for cluster in range(k):
            members = labels == cluster
            if not members.any():
                # An empty cluster takes the colour served worst, so that k colours stay in use.
                worst = int(np.argmax(error))
                centres[cluster] = lab[worst]
                error[worst] = -1.0
                continue
            w = weights[members]
            if w.sum() > 0:
                centres[cluster] = (lab[members] * w[:, None]).sum(axis=0) / w.sum()
            else:
                centres[cluster] = lab[members].mean(axis=0)
        updated = np.argmin(_squared_distances(lab, centres), axis=1)
        if np.array_equal(updated, labels):
            break
        labels = updated
    return np.asarray(labels)


def reduce_palette(colors: Sequence[RGB], weights: Sequence[float], limit: int) -> list[RGB]:
    """For each input colour, the colour that represents it in a palette of at most ``limit``.

    Representatives are input colours (the weighted medoid of each cluster), so colours a user
    chose (a brand's, say) come back exact rather than as averages; equal inputs share one
    weight and one representative, every representative maps to itself, and the result depends
    only on the inputs and their order.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    unique: dict[RGB, float] = {}
    for color, weight in zip(colors, weights, strict=True):
        unique[color] = unique.get(color, 0.0) + weight
    if len(unique) <= limit:
        return list(colors)
    palette = list(unique)
    lab = srgb_to_lab(np.array(palette))
    w = np.array([unique[c] for c in palette], dtype=np.float64)
    labels = _cluster(lab, w, limit)
    representatives = []
    for cluster in sorted(set(labels.tolist())):
        members = np.flatnonzero(labels == cluster)
        spread = np.sqrt(_squared_distances(lab[members], lab[members]))
        # Weightless clusters still need a representative: then every member counts once.
        member_weights = w[members] if w[members].sum() > 0 else np.ones(len(members))
        cost = spread @ member_weights
        representatives.append(int(members[int(np.argmin(cost))]))
    # Each colour goes to its nearest representative (its own cluster's, nearly always).
    nearest = np.argmin(_squared_distances(lab, lab[representatives]), axis=1)
    target = {
        color: palette[representatives[int(i)]] for color, i in zip(palette, nearest, strict=True)
    }
    return [target[c] for c in colors]


@dataclass(frozen=True)
class OptimizedPalette:
    mapping: list[tuple[str, str]]  # (from, to) as "#rrggbb", one per input colour, in order
    credits: int


def parse_palette(colors: Sequence[tuple[str, float | None]]) -> tuple[list[RGB], list[float]]:
    """Checked request colours: (hex, weight or None) -> RGB triples and weights (default 1)."""
    if not colors:
        raise InvalidRequest("give at least one colour", "colors")
    if len(colors) > MAX_COLORS:
        raise InvalidRequest(
            f"{len(colors)} colours given; at most {MAX_COLORS} are accepted", "colors"
        )
    rgbs, weights = [], []
    for i, (hex_text, weight) in enumerate(colors):
        rgbs.append(parse_hex(hex_text, f"colors[{i}].hex"))
        if weight is None:
            weight = 1.0
        if not math.isfinite(weight) or weight < 0:
            raise InvalidRequest(
                f"weight {weight} is not a finite number >= 0", f"colors[{i}].weight"
            )
        weights.append(float(weight))
    return rgbs, weights


class ColorOptimizer:
    """POST /v1/colors/optimize: checks the palette, reduces it, charges only on success."""

    def __init__(self, charging: Charging, units: int) -> None:
        self.charging = charging
        self.units = units

    def optimize(
        self, user_id: str, colors: Sequence[tuple[str, float | None]], limit: int
    ) -> OptimizedPalette:
        rgbs, weights = parse_palette(colors)
        if limit < 1:
            raise InvalidRequest("num_colors_limit must be at least 1", "num_colors_limit")
        with self.charging.charged(user_id, self.units, "color_optimization"):
            targets = reduce_palette(rgbs, weights, limit)
        mapping = [(to_hex(a), to_hex(b)) for a, b in zip(rgbs, targets, strict=True)]
        return OptimizedPalette(mapping, self.units)
