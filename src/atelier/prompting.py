"""Prompt enhancement: a deterministic enhancer from atelier's style vocabulary, or an LLM."""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from atelier import catalog
from atelier.delivery import Charging
from atelier.engines.prompt_templates import STYLE_TEMPLATES, SUBSTYLE_WORDS
from atelier.errors import AtelierError, InvalidRequest

log = logging.getLogger("atelier")

MAX_PROMPT_CHARS = 10_000
# Enough for any chat completion of one prompt; a bigger answer is a misbehaving upstream.
MAX_UPSTREAM_BYTES = 1024 * 1024

SYSTEM_MESSAGE = (
    "You improve prompts for an image generation model. Rewrite the user's prompt as one "
    "richer image prompt: keep every subject, word and constraint the user gave, and add "
    "concrete details of composition, lighting, colour, style and texture. Answer with the "
    "improved prompt only: no preamble, no quotes, no lists, no explanation, at most "
    f"{MAX_PROMPT_CHARS} characters."
)


class PromptEnhancerFailed(AtelierError):
    """The configured LLM could not be reached or gave no usable prompt."""

    status = 502
    code = "prompt_enhancer_failed"


class PromptEnhancer(Protocol):
    name: str

    def enhance(self, prompt: str) -> str: ...


# --- the deterministic enhancer -------------------------------------------------------------

# Words that say which base style a prompt asks for, strongest style first.
STYLE_WORDS: dict[str, tuple[str, ...]] = {
    "logo_raster": ("logo", "emblem", "badge", "logotype", "monogram", "mascot logo"),
    "icon": ("icon", "icons", "pictogram", "app icon", "glyph"),
    "vector_illustration": ("vector", "svg", "flat illustration", "flat design", "clip art"),
    "realistic_image": (
        "photo", "photograph", "photography", "photorealistic", "realistic", "dslr", "35mm",
        "snapshot", "portrait photo", "cinematic still",
    ),
    "digital_illustration": (
        "illustration", "drawing", "painting", "painted", "cartoon", "anime", "manga", "comic",
        "sketch", "concept art", "artwork", "digital art", "poster",
    ),
}  # fmt: skip

# Substyle names too common as plain English to mean the substyle ("a thin man").
_AMBIGUOUS_SUBSTYLES = frozenset({
    "cover", "thin", "enterprise", "plastic", "seamless", "cutout", "depressive", "chemistry",
    "cosmics", "glow", "grain", "outline", "mosaic", "editorial", "multicolor", "cartoon",
    "antiquarian",
})  # fmt: skip

# Subject kinds, each with the words that reveal it (checked in this order).
SUBJECT_WORDS: dict[str, tuple[str, ...]] = {
    "person": (
        "man", "men", "woman", "women", "girl", "boy", "child", "children", "kid", "person",
        "people", "portrait", "face", "lady", "king", "queen", "warrior", "astronaut",
        "character", "family", "couple", "dancer", "musician", "chef", "doctor", "student",
    ),
    "animal": (
        "cat", "cats", "kitten", "dog", "dogs", "puppy", "fox", "bird", "birds", "horse",
        "lion", "tiger", "bear", "wolf", "owl", "rabbit", "deer", "fish", "whale", "dragon",
        "elephant", "monkey", "panda", "butterfly", "animal", "animals", "siamese",
    ),
    "food": (
        "food", "cake", "coffee", "tea", "pizza", "burger", "fruit", "fruits", "bread",
        "salad", "dessert", "cocktail", "wine", "breakfast", "soup", "sushi", "cookie",
    ),
    "architecture": (
        "city", "street", "building", "buildings", "house", "castle", "tower", "bridge",
        "room", "interior", "kitchen", "cathedral", "temple", "skyline", "village", "cafe",
        "library", "office", "architecture", "town",
    ),
    "landscape": (
        "mountain", "mountains", "lake", "forest", "sea", "ocean", "beach", "desert",
        "valley", "river", "field", "meadow", "landscape", "island", "waterfall", "sky",
        "canyon", "garden", "jungle", "dunes", "snow", "hills", "coast",
    ),
    "object": (
        "car", "cars", "bottle", "cup", "mug", "shoe", "shoes", "watch", "phone", "chair",
        "lamp", "product", "vase", "book", "camera", "bag", "guitar", "bicycle", "robot",
        "ship", "boat", "plane", "train", "perfume", "sneaker", "headphones",
    ),
    "abstract": ("abstract", "pattern", "shapes", "texture", "geometric", "fractal", "waves"),
}  # fmt: skip

COMPOSITION: dict[str, tuple[str, ...]] = {
    "person": (
        "three-quarter view, eye-level framing",
        "head-and-shoulders composition, subject centred",
        "full-body shot with room around the figure",
        "candid off-centre framing, rule of thirds",
    ),
    "animal": (
        "eye-level close-up, subject filling the frame",
        "low angle, subject centred",
        "side profile with space in front of the animal",
        "full-body view in its surroundings, rule of thirds",
    ),
    "food": (
        "overhead flat lay",
        "45-degree angle close-up",
        "tight crop on the main dish, props softly around it",
        "eye-level shot on a tabletop",
    ),
    "architecture": (
        "wide establishing shot, straight verticals",
        "symmetrical one-point perspective",
        "low angle looking up, strong leading lines",
        "street-level view, layered foreground and background",
    ),
    "landscape": (
        "wide panoramic composition, clear foreground, middle ground and background",
        "rule of thirds, horizon in the lower third",
        "leading lines drawing the eye into the scene",
        "elevated vantage point, sweeping vista",
    ),
    "object": (
        "centred hero shot on a clean surface",
        "three-quarter angle, product in sharp focus",
        "minimal composition with generous negative space",
        "close-up showing materials and form",
    ),
    "abstract": (
        "balanced composition, rhythmic repetition",
        "bold asymmetric composition",
        "layered overlapping forms, clear focal point",
        "centred radial composition",
    ),
    "general": (
        "balanced composition, clear focal point",
        "rule of thirds, layered depth",
        "centred subject with breathing room",
        "dynamic diagonal composition",
    ),
}
# Marks are framed by what they are, not by what they show (a coffee logo is no plate of food).
STYLE_COMPOSITION: dict[str, tuple[str, ...]] = {
    "icon": (
        "centred glyph with even padding",
        "front view, simple balanced geometry",
        "single clear motif, square framing",
    ),
    "logo_raster": (
        "centred mark, balanced proportions",
        "symmetrical emblem layout",
        "compact badge shape, clear visual hierarchy",
    ),
}
LIGHTING: tuple[str, ...] = (
    "soft diffused daylight",
    "warm golden-hour light",
    "gentle side lighting with soft shadows",
    "bright even light, crisp shadows",
    "cinematic rim light, subtle contrast",
    "moody low-key lighting",
)
COLOUR: tuple[str, ...] = (
    "harmonious colour palette",
    "rich saturated colours",
    "muted earthy tones",
    "complementary colour accents",
    "cool blues with warm highlights",
    "soft pastel tones",
)
DETAIL: dict[str, tuple[str, ...]] = {
    "realistic_image": (
        "sharp focus, fine texture detail",
        "shallow depth of field, natural skin and surface texture",
        "high dynamic range, true-to-life detail",
    ),
    "digital_illustration": (
        "clean linework, polished rendering",
        "painterly brushwork, rich texture",
        "crisp shapes, detailed shading",
    ),
    "vector_illustration": (
        "crisp edges, limited palette",
        "simple geometric shapes, consistent stroke weight",
        "bold silhouettes, no gradients",
    ),
    "icon": (
        "simple silhouette, consistent stroke weight, legible at small sizes",
        "pixel-perfect geometry, plain background",
    ),
    "logo_raster": (
        "strong silhouette, balanced negative space, legible at small sizes",
        "bold clean lines, timeless and memorable",
    ),
    "any": (
        "sharp focus, well-defined forms",
        "intricate details, polished finish",
        "fine texture, crisp edges",
    ),
}
# Flat styles have no light to describe.
_FLAT_STYLES = frozenset({"vector_illustration", "icon", "logo_raster"})

# Words that show the user already decided an aspect; we then leave it alone.
_COVERED: dict[str, tuple[str, ...]] = {
    "composition": (
        "close-up", "closeup", "wide shot", "wide-angle", "wide angle", "overhead", "top-down",
        "aerial", "angle", "composition", "framing", "centered", "centred", "symmetrical",
        "panorama", "panoramic", "view", "perspective", "full-body", "full body",
    ),
    "lighting": (
        "light", "lighting", "lit", "sunlight", "sunset", "sunrise", "moonlight", "shadow",
        "shadows", "neon", "backlit", "golden hour", "night", "dusk", "dawn",
    ),
    "colour": (
        "color", "colors", "colour", "colours", "colored", "coloured", "palette", "monochrome",
        "black and white", "b&w", "pastel", "tones", "hues", "saturated", "grayscale",
        "greyscale",
    ),
}  # fmt: skip
_HEX_COLOUR = re.compile(r"#[0-9a-f]{3}(?:[0-9a-f]{3})?\b")


def _phrase(text: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])" + re.escape(text) + r"(?![\w-])")


def _substyle_phrases() -> list[tuple[re.Pattern[str], str, str]]:
    """(pattern, style, substyle) for every substyle name that reads as prompt words."""
    found: dict[str, tuple[str, str]] = {}
    for style, models in catalog.STYLES.items():
        for substyles in models.values():
            for substyle in substyles:
                if substyle in _AMBIGUOUS_SUBSTYLES:
                    continue
                words = SUBSTYLE_WORDS.get(substyle, substyle.replace("_", " ")).lower()
                words = re.sub(r"\s+\d+$", "", words)  # "young adult book 2" -> "... book"
                found.setdefault(words, (style, substyle))
    # Longest first, so that "hand drawn outline" wins over "hand drawn".
    return [
        (_phrase(words), style, substyle)
        for words, (style, substyle) in sorted(found.items(), key=lambda kv: -len(kv[0]))
    ]


def _style_lead(style: str) -> str:
    """The style's noun phrase from its diffusion template: "a photograph of" -> "photograph"."""
    template = STYLE_TEMPLATES.get(style, STYLE_TEMPLATES["any"])
    lead = template.split("{prompt}")[0].strip()
    lead = re.sub(r"^(?:a|an)\s+", "", lead)
    return re.sub(r"\s+of$", "", lead)


def _style_tail(style: str) -> list[str]:
    """The descriptors that follow the prompt in the style's diffusion template."""
    template = STYLE_TEMPLATES.get(style, STYLE_TEMPLATES["any"])
    tail = template.split("{prompt}", 1)[1].replace("{substyle}", "")
    return [part.strip() for part in tail.split(",") if part.strip()]


@dataclass(frozen=True)
class Analysis:
    """What the deterministic enhancer read in a prompt."""

    style: str
    substyle: str | None
    subject: str


class VocabularyEnhancer:
    """Adds style, composition, lighting, colour and detail phrases chosen from fixed lists.

    Which phrase of each list is chosen depends only on the prompt (a hash of its normalised
    text), so the same prompt always gives the same result; the user's text is kept verbatim at
    the start and phrases are added only while the result stays within MAX_PROMPT_CHARS.
    """

    name = "vocabulary"

    def __init__(self) -> None:
        self._substyles = _substyle_phrases()
        self._styles = [
            (style, [_phrase(w) for w in words]) for style, words in STYLE_WORDS.items()
        ]
        self._subjects = [
            (subject, [_phrase(w) for w in words]) for subject, words in SUBJECT_WORDS.items()
        ]
        self._covered = {aspect: [_phrase(w) for w in words] for aspect, words in _COVERED.items()}

    def analyse(self, prompt: str) -> Analysis:
        text = prompt.lower()
        style, substyle = "any", None
        for pattern, sub_style, sub in self._substyles:
            if pattern.search(text):
                style, substyle = sub_style, sub
                break
        for candidate, patterns in self._styles:
            # An explicit style word outranks the style a substyle name implies.
            if any(p.search(text) for p in patterns):
                if candidate != style:
                    style, substyle = candidate, None
                break
        subject = next(
            (s for s, patterns in self._subjects if any(p.search(text) for p in patterns)),
            "general",
        )
        return Analysis(style, substyle, subject)

    def _covers(self, text: str, aspect: str) -> bool:
        if aspect == "colour" and _HEX_COLOUR.search(text):
            return True
        return any(p.search(text) for p in self._covered[aspect])

    def additions(self, prompt: str) -> list[str]:
        """The phrases to append to ``prompt``, in order, before any length limit."""
        text = prompt.lower()
        analysis = self.analyse(prompt)
        digest = hashlib.sha256(" ".join(text.split()).encode()).digest()

        def pick(options: tuple[str, ...], slot: int) -> str:
            return options[digest[slot] % len(options)]

        phrases: list[str] = []
        lead = _style_lead(analysis.style)
        if lead:
            phrases.append(lead)
        phrases.extend(_style_tail(analysis.style))
        if not self._covers(text, "composition"):
            compositions = STYLE_COMPOSITION.get(analysis.style, COMPOSITION[analysis.subject])
            phrases.append(pick(compositions, 0))
        if analysis.style not in _FLAT_STYLES and not self._covers(text, "lighting"):
            phrases.append(pick(LIGHTING, 1))
        if not self._covers(text, "colour"):
            phrases.append(pick(COLOUR, 2))
        if analysis.substyle is None:  # a substyle ("pixel art") already decides the finish
            phrases.append(pick(DETAIL.get(analysis.style, DETAIL["any"]), 3))
        return _new_phrases(text, phrases)

    def enhance(self, prompt: str) -> str:
        result = prompt.strip().rstrip(",;")
        for phrase in self.additions(prompt):
            candidate = f"{result}, {phrase}"
            if len(candidate) > MAX_PROMPT_CHARS:
                break
            result = candidate
        return result


def _new_phrases(text: str, phrases: Iterable[str]) -> list[str]:
    """``phrases`` without those the prompt (or an earlier phrase) already says."""
    seen = text
    kept = []
    for phrase in phrases:
        if _phrase(phrase.lower()).search(seen):
            continue
        kept.append(phrase)
        seen += ", " + phrase.lower()
    return kept


# --- the LLM enhancer -----------------------------------------------------------------------

_THINKING = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_LABEL = re.compile(r"^(?:enhanced|improved|new)?\s*prompt\s*:\s*", re.IGNORECASE)


class ChatEnhancer:
    """Asks an OpenAI-compatible chat completions server (Ollama, vLLM, llama.cpp, OpenAI)."""

    name = "chat"

    def __init__(
        self, base_url: str, model: str, api_key: str | None, timeout_seconds: float
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key = api_key
        self.timeout_seconds = timeout_seconds

    def _failed(self, message: str, detail: object = "") -> PromptEnhancerFailed:
        # API users see what went wrong; the operator's log also gets where, and the details
        # (the upstream's address and answer are the operator's business, not every user's).
        log.warning("prompt enhancer %s: %s %s", self.url, message, detail)
        return PromptEnhancerFailed(f"the prompt enhancer {message}")

    def enhance(self, prompt: str) -> str:
        body = json.dumps(
            {
                "model": self.model,
                "messages": [
                    {"role": "system", "content": SYSTEM_MESSAGE},
                    {"role": "user", "content": prompt},
                ],
                "stream": False,
            }
        ).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                raw = response.read(MAX_UPSTREAM_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise self._failed(f"answered HTTP {exc.code}", _snippet(exc.read(2000))) from exc
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            # A connect timeout comes wrapped in URLError, a read timeout bare.
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                raise self._failed(f"did not answer within {self.timeout_seconds:g} s") from exc
            raise self._failed("could not be reached", reason) from exc
        if len(raw) > MAX_UPSTREAM_BYTES:
            raise self._failed(f"answered more than {MAX_UPSTREAM_BYTES} bytes")
        return self._completion(raw)

    def _completion(self, raw: bytes) -> str:
        try:
            content = json.loads(raw)["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise self._failed("did not answer with a chat completion", _snippet(raw)) from exc
        if not isinstance(content, str):
            raise self._failed("sent no text", _snippet(raw))
        text = clean_completion(content)
        if not text:
            raise self._failed("sent an empty prompt")
        return text


def clean_completion(content: str) -> str:
    """The prompt in a model's answer: no reasoning block, label, wrapping quotes or excess."""
    text = _LABEL.sub("", _THINKING.sub("", content).strip()).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'`":
        text = text[1:-1].strip()
    if len(text) > MAX_PROMPT_CHARS:
        # Cut at a word boundary: a prompt the generation endpoints can still take whole.
        cut = text[:MAX_PROMPT_CHARS]
        text = (cut.rsplit(None, 1)[0] if " " in cut else cut).rstrip(" ,;")
    return text


def _snippet(data: bytes) -> str:
    text = " ".join(data.decode("utf-8", "replace").split())
    return text[:300]


# --- the service ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EnhancedPrompt:
    prompt: str
    credits: int


def check_prompt(prompt: str) -> None:
    if not prompt.strip():
        raise InvalidRequest("the prompt is empty", "prompt")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidRequest(
            f"the prompt is {len(prompt)} characters; at most {MAX_PROMPT_CHARS} are accepted",
            "prompt",
        )


class PromptService:
    """POST /v1/prompts/enhance: checks the prompt, enhances it, charges only on success."""

    def __init__(self, enhancer: PromptEnhancer, charging: Charging, units: int) -> None:
        self.enhancer = enhancer
        self.charging = charging
        self.units = units

    def enhance(self, user_id: str, prompt: str) -> EnhancedPrompt:
        check_prompt(prompt)
        with self.charging.charged(user_id, self.units, "prompt_enhancement"):
            enhanced = self.enhancer.enhance(prompt)
        return EnhancedPrompt(enhanced, self.units)


def create_enhancer(
    url: str | None, model: str, api_key: str | None, timeout_seconds: float
) -> PromptEnhancer:
    if url:
        return ChatEnhancer(url, model, api_key, timeout_seconds)
    return VocabularyEnhancer()
