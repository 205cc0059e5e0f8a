"""Text-to-image: the catalog rules, pricing, rate limit and credits around an engine call."""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from atelier import catalog
from atelier.accounting.ledger import Ledger
from atelier.api.schemas import GenerateRequest, GenerationParams, TextLayoutItem
from atelier.encoding import EncodedImage, encode_artifact
from atelier.engines.base import Artifact, GenerationEngine, GenerationSpec, TextItem
from atelier.errors import InvalidRequest
from atelier.ratelimit import ImageRateLimiter
from atelier.storage.images import ImageStore, StoredImage
from atelier.styles import StyleLibrary


@dataclass(frozen=True)
class DeliveredImage:
    stored: StoredImage
    encoded: EncodedImage

    @property
    def b64(self) -> str:
        return base64.b64encode(self.encoded.data).decode("ascii")


@dataclass(frozen=True)
class Generation:
    created: int
    credits: int
    images: list[DeliveredImage]


def _check_text(value: str | None, param: str, required: bool = False) -> None:
    if required and not (value and value.strip()):
        raise InvalidRequest(f"{param} is required and must not be empty", param=param)
    size = len((value or "").encode("utf-8"))
    if size > catalog.MAX_PROMPT_BYTES:
        raise InvalidRequest(
            f"{param} is {size} bytes in UTF-8; the limit is {catalog.MAX_PROMPT_BYTES} bytes",
            param=param,
        )


def _check_substyle(style: str, substyle: str, model: str) -> None:
    allowed = catalog.substyles(style, model) or ()
    if substyle in allowed:
        return
    elsewhere = [m for m in catalog.MODELS if substyle in (catalog.substyles(style, m) or ())]
    hint = (
        f"it is only available with model {elsewhere[0]}"
        if elsewhere
        else ("valid substyles: " + ", ".join(allowed) if allowed else "it takes no substyle")
    )
    raise InvalidRequest(
        f"substyle {substyle!r} is not available for style {style!r} with model {model}; {hint}",
        param="substyle",
    )


def _text_layout(items: list[TextLayoutItem], model: str) -> tuple[TextItem, ...]:
    if items and model != "recraftv3":
        raise InvalidRequest("text_layout is available with model recraftv3 only", "text_layout")
    layout = []
    for i, item in enumerate(items):
        param = f"text_layout[{i}].text"
        if not item.text or any(ch.isspace() for ch in item.text):
            raise InvalidRequest(f"{param} must be a single word without spaces", param=param)
        bad = sorted({ch for ch in item.text if ch.upper() not in catalog.TEXT_LAYOUT_CHARACTERS})
        if bad:
            raise InvalidRequest(
                f"{param} contains unsupported characters: {''.join(bad)!r}; "
                "see the spec's list of supported characters",
                param=param,
            )
        a, b, c, d = ((x, y) for x, y in item.bbox)
        layout.append(TextItem(item.text, (a, b, c, d)))
    return tuple(layout)


class ImageGenerator:
    def __init__(
        self,
        engine: GenerationEngine,
        store: ImageStore,
        ledger: Ledger,
        styles: StyleLibrary,
        rate_limiter: ImageRateLimiter,
        prices: dict[str, int],
    ) -> None:
        self.engine = engine
        self.store = store
        self.ledger = ledger
        self.styles = styles
        self.rate_limiter = rate_limiter
        self.prices = prices

    def plan(
        self,
        user_id: str,
        req: GenerationParams,
        size: tuple[int, int],
        text_layout: list[TextLayoutItem] | None = None,
        models: tuple[str, ...] = tuple(catalog.MODELS),
    ) -> GenerationSpec:
        """Validate ``req`` against the catalog and the user's styles; no side effects.

        ``models`` narrows the models an endpoint serves (the edits are recraftv3 only).
        """
        _check_text(req.prompt, "prompt", required=True)
        _check_text(req.negative_prompt, "negative_prompt")
        model = req.model or catalog.DEFAULT_MODEL
        if model not in models:
            raise InvalidRequest(
                f"model {model!r} is not supported here; use " + " or ".join(models),
                param="model",
            )

        palette: tuple[tuple[int, int, int], ...] = ()
        if req.style_id is not None:
            if req.style is not None:
                raise InvalidRequest("style and style_id are mutually exclusive", "style_id")
            if req.substyle is not None:
                raise InvalidRequest("substyle cannot be combined with style_id", "substyle")
            custom = self.styles.get(user_id, req.style_id)
            style, palette = custom.style, custom.palette
        elif req.style is not None:
            style = req.style
        else:
            if req.substyle is not None:
                raise InvalidRequest("substyle needs a style to refine", param="substyle")
            style = catalog.DEFAULT_STYLE[model]

        if style not in catalog.STYLES:
            raise InvalidRequest(
                f"style {style!r} is unknown; use one of " + ", ".join(catalog.STYLES), "style"
            )
        if catalog.substyles(style, model) is None:
            others = [m for m in catalog.MODELS if catalog.substyles(style, m) is not None]
            raise InvalidRequest(
                f"style {style!r} is not available with model {model}; use model "
                + " or ".join(others),
                param="style_id" if req.style_id else "style",
            )
        if req.substyle is not None:
            _check_substyle(style, req.substyle, model)

        controls = req.controls
        return GenerationSpec(
            prompt=req.prompt,
            negative_prompt=req.negative_prompt,
            model=model,
            style=style,
            substyle=req.substyle,
            width=size[0],
            height=size[1],
            seed=req.random_seed if req.random_seed is not None else secrets.randbelow(2**31),
            n=req.n or 1,
            vector=style in catalog.VECTOR_STYLES,
            artistic_level=controls.artistic_level if controls else None,
            colors=tuple(_rgb(c.rgb) for c in (controls.colors or [])) if controls else (),
            background_color=(
                _rgb(controls.background_color.rgb)
                if controls and controls.background_color
                else None
            ),
            style_palette=palette,
            no_text=bool(controls and controls.no_text),
            text_layout=_text_layout(text_layout or [], model),
        )

    def generate(
        self, user_id: str, req: GenerateRequest, sizes: tuple[tuple[int, int], ...] = catalog.SIZES
    ) -> Generation:
        """Text-to-image; ``sizes`` are the sizes the request's dialect accepts."""
        size = catalog.DEFAULT_SIZE if req.size is None else parse_size(req.size, sizes)
        spec = self.plan(user_id, req, size, req.text_layout)
        units = self.prices[catalog.generation_price_key(spec.model, spec.vector)] * spec.n
        delivered = self.charge_and_deliver(
            user_id, units, f"generation:{spec.model}:{spec.style}", spec.n, req.image_format,
            lambda: self.engine.generate(spec),
        )  # fmt: skip
        return Generation(int(time.time()), units, delivered)

    def charge_and_deliver(
        self,
        user_id: str,
        units: int,
        reason: str,
        count: int,
        image_format: str | None,
        make: Callable[[], list[Artifact]],
    ) -> list[DeliveredImage]:
        """Hold ``units`` credits, take ``count`` images of the rate limit, then make and store
        the results; the credits are charged only if all of it succeeds, else released."""
        with self.ledger.charged(user_id, units, reason):
            self.rate_limiter.acquire(user_id, count)
            return [self.deliver(user_id, artifact, image_format) for artifact in make()]

    def deliver(self, user_id: str, artifact: Artifact, image_format: str | None) -> DeliveredImage:
        """Encode and store one result."""
        encoded = encode_artifact(artifact, image_format or "png")
        return DeliveredImage(self.store.save(user_id, encoded), encoded)


def parse_size(value: str, sizes: tuple[tuple[int, int], ...] = catalog.SIZES) -> tuple[int, int]:
    size = catalog.parse_size(value, sizes)
    if size is None:
        raise InvalidRequest(
            f"size {value!r} is not supported; use one of "
            + ", ".join(f"{w}x{h}" for w, h in sizes),
            param="size",
        )
    return size


def _rgb(values: list[int]) -> tuple[int, int, int]:
    r, g, b = values
    return (r, g, b)
