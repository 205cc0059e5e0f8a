"""Palette optimisation: hex parsing, limits, every colour mapped, determinism."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from atelier.accounting.accounts import Accounts
from atelier.accounting.ledger import Ledger
from atelier.database import sqlite_url
from atelier.errors import InvalidRequest
from atelier.palettes import (
    MAX_COLORS,
    ColorOptimizer,
    parse_hex,
    parse_palette,
    reduce_palette,
    srgb_to_lab,
)
from tests.conftest import open_database


@pytest.mark.parametrize(
    ("text", "rgb"),
    [("#ff8000", (255, 128, 0)), ("FF8000", (255, 128, 0)), ("#f80", (255, 136, 0)),
     ("abc", (170, 187, 204)), (" #00aAfF ", (0, 170, 255))],
)  # fmt: skip
def test_hex_forms(text: str, rgb: tuple[int, int, int]) -> None:
    assert parse_hex(text, "x") == rgb


@pytest.mark.parametrize("text", ["", "#", "#ff80", "#ff80001", "ggg", "##fff", "rgb(1,2,3)"])
def test_bad_hex_names_its_param(text: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        parse_hex(text, "colors[2].hex")
    assert info.value.param == "colors[2].hex"


def test_lab_of_known_colours() -> None:
    lab = srgb_to_lab(np.array([[255, 255, 255], [0, 0, 0], [255, 0, 0]]))
    np.testing.assert_allclose(lab[0], [100, 0, 0], atol=0.01)
    np.testing.assert_allclose(lab[1], [0, 0, 0], atol=0.01)
    np.testing.assert_allclose(lab[2], [53.24, 80.09, 67.20], atol=0.05)


def _palette(seed: int, n: int) -> tuple[list[tuple[int, int, int]], list[float]]:
    rng = random.Random(seed)
    colors = [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(n)]
    return colors, [rng.uniform(0.1, 10) for _ in range(n)]


@pytest.mark.parametrize(("n", "limit"), [(10, 1), (10, 3), (50, 8), (256, 16), (256, 255)])
def test_limit_honoured_every_colour_mapped_representatives_fixed(n: int, limit: int) -> None:
    colors, weights = _palette(n * 31 + limit, n)
    targets = reduce_palette(colors, weights, limit)
    assert len(targets) == len(colors)
    assert len(set(targets)) == min(limit, len(set(colors)))
    assert set(targets) <= set(colors)  # representatives are input colours, exact
    for target in set(targets):
        assert targets[colors.index(target)] == target


def test_deterministic() -> None:
    colors, weights = _palette(7, 120)
    assert reduce_palette(colors, weights, 6) == reduce_palette(list(colors), list(weights), 6)


def test_within_the_limit_nothing_changes() -> None:
    colors = [(1, 2, 3), (200, 0, 0), (1, 2, 3)]
    assert reduce_palette(colors, [1, 1, 1], 2) == colors


def test_identical_colours_merge_and_near_colours_go_together() -> None:
    reds = [(250, 0, 0), (240, 10, 10), (255, 5, 0)]
    blues = [(0, 0, 250), (10, 10, 240)]
    colors = [*reds, (250, 0, 0), *blues, (0, 0, 250)]
    targets = reduce_palette(colors, [1.0] * len(colors), 2)
    assert len(set(targets[:4])) == 1 and len(set(targets[4:])) == 1
    assert targets[0] == targets[3] and targets[0] != targets[4]
    # The red with the most weight (it appears twice) represents the reds.
    assert targets[0] == (250, 0, 0)


def test_weight_pulls_the_representative() -> None:
    colors = [(250, 0, 0), (200, 30, 30), (0, 0, 250)]
    assert reduce_palette(colors, [1, 10, 1], 2)[0] == (200, 30, 30)
    assert reduce_palette(colors, [10, 1, 1], 2)[1] == (250, 0, 0)


def test_weightless_colours_are_still_mapped() -> None:
    colors = [(250, 0, 0), (0, 250, 0), (0, 0, 250), (255, 255, 255)]
    targets = reduce_palette(colors, [0, 0, 0, 0], 2)
    assert len(set(targets)) == 2 and set(targets) <= set(colors)


def test_parse_palette_checks() -> None:
    assert parse_palette([("fff", None), ("#000000", 2.5)]) == (
        [(255, 255, 255), (0, 0, 0)],
        [1.0, 2.5],
    )
    cases: list[tuple[list[tuple[str, float | None]], str]] = [
        ([], "colors"),
        ([("fff", None)] * (MAX_COLORS + 1), "colors"),
        ([("fff", None), ("nope", None)], "colors[1].hex"),
        ([("fff", -1.0)], "colors[0].weight"),
        ([("fff", float("nan"))], "colors[0].weight"),
    ]
    for colors, param in cases:
        with pytest.raises(InvalidRequest) as info:
            parse_palette(colors)
        assert info.value.param == param


def test_optimizer_charges_and_answers_hex(tmp_path: Path) -> None:
    db = open_database(sqlite_url(tmp_path / "db.sqlite3"))
    accounts = Accounts(db)
    user = accounts.create_user("a@example.com", credits=10)
    optimizer = ColorOptimizer(Ledger(db), 2)
    result = optimizer.optimize(user.id, [("F00", None), ("#fe0000", 1.0), ("00f", 1.0)], 2)
    assert result.credits == 2
    assert result.mapping[0] == ("#ff0000", result.mapping[1][1])
    assert result.mapping[2] == ("#0000ff", "#0000ff")
    with pytest.raises(InvalidRequest) as info:
        optimizer.optimize(user.id, [("fff", None)], 0)
    assert info.value.param == "num_colors_limit"
    assert accounts.by_id(user.id).credits == 8
