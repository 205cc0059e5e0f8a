"""What every preview scene builder receives: size, randomness, palette, look and scene elements."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from atelier.engines.base import RGB
from atelier.engines.preview.looks import Look, grade_color
from atelier.engines.preview.palette import Palette
from atelier.engines.preview.shapes import Paint, Ring, Shape, translate, wobble
from atelier.imaging.colors import darken, lighten, mix


def words(text: str | None) -> frozenset[str]:
    """The lower-case words of a text."""
    return frozenset(re.findall(r"[a-z0-9]+", (text or "").lower()))


# Prompt words that switch scene elements on. Matching is on whole lower-case words.
ELEMENT_WORDS: dict[str, frozenset[str]] = {
    "night": words("night nights moon midnight starry stars galaxy space cosmic cosmos"),
    "sunset": words("sunset sunsets sunrise dusk dawn evening golden twilight"),
    "water": words("sea ocean lake lakes river beach water coast harbor bay shore"),
    "mountains": words("mountain mountains peak peaks alps alpine valley cliff"),
    "forest": words("forest forests tree trees woods jungle pine pines park garden"),
    "city": words("city cities skyline urban street building buildings town downtown"),
    "snow": words("snow snowy winter ice frozen arctic glacier"),
    "desert": words("desert dune dunes sand sandy savanna canyon"),
    "mist": words("fog foggy mist misty haze hazy"),
    "birds": words("bird birds flock seagull seagulls"),
}

# Negative-prompt words that remove an element the scene would otherwise draw.
REMOVAL_WORDS: dict[str, str] = {
    "sun": "sun",
    "suns": "sun",
    "moon": "moon",
    "cloud": "clouds",
    "clouds": "clouds",
    "tree": "forest",
    "trees": "forest",
    "forest": "forest",
    "mountain": "mountains",
    "mountains": "mountains",
    "water": "water",
    "sea": "water",
    "lake": "water",
    "ocean": "water",
    "bird": "birds",
    "birds": "birds",
    "building": "city",
    "buildings": "city",
    "city": "city",
    "star": "stars",
    "stars": "stars",
    "text": "text",
    "letters": "text",
    "letter": "text",
}


def scene_elements(
    prompt_words: frozenset[str],
    negative_words: frozenset[str],
    look: Look,
    digest: bytes,
    complexity: float = 0.5,
) -> frozenset[str]:
    """The elements a scene draws: those the prompt or substyle names, plus optional ones.

    Optional elements are coin flips of the prompt hash (so unnamed prompts still differ);
    busy levels add more, minimal levels (0-1) keep only what was asked for.
    """
    named = {name for name, vocab in ELEMENT_WORDS.items() if prompt_words & vocab}
    named.update(look.motifs)
    optional = {
        name
        for i, name in enumerate(("mountains", "water", "forest", "clouds", "birds"))
        if digest[16 + i] % 3 == 0
    }
    if complexity >= 0.7:
        optional.update(("clouds", "birds"))
    if complexity >= 0.9:
        optional.add("forest")
    if complexity <= 0.2:
        optional.clear()
    chosen = named | optional
    chosen.update({"moon", "stars"} if "night" in chosen else {"sun"})
    chosen.difference_update(REMOVAL_WORDS[w] for w in negative_words if w in REMOVAL_WORDS)
    return frozenset(chosen)


@dataclass
class Scene:
    """One image being built. ``complexity`` is the artistic level as 0..1 (None -> 0.5)."""

    width: int
    height: int
    rng: np.random.Generator
    palette: Palette
    look: Look
    complexity: float
    elements: frozenset[str]
    digest: bytes  # prompt hash: choices that should stay stable across seeds
    monogram: str | None  # a letter a logo may show, None when text is unwanted

    @property
    def unit(self) -> float:
        """Pixels per 1/1000 of the shorter side: keeps strokes and details size-independent."""
        return min(self.width, self.height) / 1000.0

    def count(self, low: int, high: int) -> int:
        """A number of things between low and high, growing with complexity, a little random."""
        base = low + (high - low) * self.complexity
        return max(low, round(base + self.rng.uniform(-0.5, 0.5)))

    def tone(self, color: RGB, amount: float) -> RGB:
        """Lighter (amount > 0) or darker (< 0) shade, unless the request fixed the colours."""
        if self.palette.explicit:
            return color
        return lighten(color, amount) if amount > 0 else darken(color, -amount)

    def haze(self, color: RGB, toward: RGB, amount: float) -> RGB:
        return color if self.palette.explicit else mix(color, toward, amount)

    def grade(self, color: RGB) -> RGB:
        """A colour graded by the look; the raster renderers grade whole images instead."""
        return color if self.palette.explicit else grade_color(color, self.look)

    def styled(
        self, rings: tuple[Ring, ...], fill: Paint, outline: RGB | None, width: float = 3.0
    ) -> list[Shape]:
        """A filled shape as the look wants it: wobbly, outlined, stroke-only, with a shadow."""
        look = self.look
        if look.wobble:
            rings = tuple(wobble(r, self.rng, look.wobble) for r in rings)
        stroke_w = width * look.outline * self.unit
        shapes = []
        if look.shadow and not look.strokes_only:
            offset = 14 * look.shadow * self.unit
            shadow_rings = tuple(translate(r, offset, offset) for r in rings)
            shapes.append(Shape(shadow_rings, self.palette.dark, opacity=0.35))
        if look.strokes_only:
            ink = fill if isinstance(fill, tuple) else (outline or self.palette.dark)
            return [*shapes, Shape(rings, None, ink, max(stroke_w, 2.5 * self.unit))]
        shapes.append(Shape(rings, fill, outline, stroke_w if outline else 0.0))
        return shapes
