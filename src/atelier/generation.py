"""Text-to-image: the catalog rules (plan), the price, and the engine call, delivered through
the one delivery path."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from atelier import catalog
from atelier.catalog import Size
from atelier.delivery import DeliveredImage, Deliveries
from atelier.engines.base import GenerationEngine, GenerationSpec, TextItem
from atelier.errors import InvalidRequest
from atelier.finishing import finish_generated
from atelier.inputs import ImageInputs, ImageSource
from atelier.prices import Prices
from atelier.requests import ExploreRequest, GenerationRequest, TextLayoutItem
from atelier.styles import StyleLibrary

Output = Literal["raster", "vector"]
# OpenAI's DALL-E 3 `style` values: no Recraft style has these names, so they are taken as
# OpenAI's and ignored (the README's "Fields").
OPENAI_STYLES = frozenset({"vivid", "natural"})
# creativity (Recraft's current API) as the artistic_level of the first spec.
CREATIVITY_LEVELS = {"simple": 1, "standard": 3, "eccentric": 5}


@dataclass(frozen=True)
class Plan:
    """A validated generation: the engine's spec and the catalog model (for prices)."""

    spec: GenerationSpec
    model: catalog.Model


@dataclass(frozen=True)
class Generation:
    created: int
    credits: int
    images: list[DeliveredImage]
    style_id: str | None = None  # a style created inline from style_references


def _check_text(value: str | None, param: str, limit: int, required: bool = False) -> None:
    if required and not (value and value.strip()):
        raise InvalidRequest(f"{param} is required and must not be empty", param=param)
    size = len((value or "").encode("utf-8"))
    if size > limit:
        raise InvalidRequest(
            f"{param} is {size} bytes in UTF-8; the limit is {limit} bytes", param=param
        )


def _check_substyle(style: str, substyle: str, model: catalog.Model) -> None:
    allowed = catalog.substyles(style, model.styles) or ()
    if substyle in allowed:
        return
    elsewhere = [
        m for m in ("recraftv3", "recraftv2") if substyle in (catalog.substyles(style, m) or ())
    ]
    hint = (
        f"it is only available with model {elsewhere[0]}"
        if elsewhere
        else ("valid substyles: " + ", ".join(allowed) if allowed else "it takes no substyle")
    )
    raise InvalidRequest(
        f"substyle {substyle!r} is not available for style {style!r} with model {model.id}; "
        + hint,
        param="substyle",
    )


def _text_layout(items: Sequence[TextLayoutItem], model: catalog.Model) -> tuple[TextItem, ...]:
    if items and not model.text_layout:
        raise InvalidRequest(
            f"text_layout is not available with model {model.id}; use recraftv3 or a V4 model",
            "text_layout",
        )
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
        styles: StyleLibrary,
        prices: Prices,
        deliveries: Deliveries,
        inputs: ImageInputs,
    ) -> None:
        self.engine = engine
        self.styles = styles
        self.prices = prices
        self.deliveries = deliveries
        self.inputs = inputs

    def model(self, model_id: str | None, default: str = catalog.DEFAULT_MODEL) -> catalog.Model:
        """The catalog entry of ``model_id`` if this deployment serves it, else a 400."""
        model_id = model_id or default
        model = catalog.MODELS.get(model_id)
        if model is None and model_id in catalog.OPERATOR_MODELS:
            model = catalog.OPERATOR_MODELS[model_id]
            if self.engine.serving_id(model) is None:
                raise InvalidRequest(
                    f"model {model_id!r} is another vendor's model that Recraft resells; it is "
                    "not served here (an operator can map it to local weights with "
                    "ATELIER_DIFFUSION_MODELS); Recraft's own models are listed by GET /v1/models",
                    param="model",
                )
        if model is None:
            raise InvalidRequest(
                f"model {model_id!r} is unknown; GET /v1/models lists the models served here",
                param="model",
            )
        if self.engine.serving_id(model) is None:
            raise InvalidRequest(
                f"model {model_id!r} is not served by this deployment's {self.engine.name} "
                "engine; GET /v1/models lists the models served here",
                param="model",
            )
        return model

    def _forced(self, model: catalog.Model, force: Output | None) -> catalog.Model:
        """``model``, or where /generations/raster or /vector force the other output, its
        family's id for that output (if this deployment serves it)."""
        if force is None or model.output in ("any", force):
            return model
        variant = model.variant(force)
        return self.model(variant.id) if variant else model

    def plan(
        self,
        user_id: str,
        req: GenerationRequest,
        size: str | Size | None = None,
        *,
        force: Output | None = None,
        extra_sizes: tuple[Size, ...] = (),
        style_id: str | None = None,
    ) -> Plan:
        """Validate ``req`` against the catalog and the user's styles; no side effects.

        ``size`` is the request's size text, or the output size where the input image sets it.
        ``force`` is the output an endpoint forces (/generations/raster, /vector).
        ``style_id`` is a style created inline from the request's style references.
        """
        inline = style_id is not None
        style_id = style_id or req.style_id
        if style_id is not None and req.style is not None and req.style not in OPENAI_STYLES:
            raise InvalidRequest("style and style_id are mutually exclusive", "style_id")
        if style_id is not None and req.substyle is not None:
            raise InvalidRequest("substyle cannot be combined with style_id", "substyle")
        custom = None if style_id is None else self.styles.get(user_id, style_id)
        # A custom style made for a model defaults to it; inline styles to Recraft V4 Styles.
        default = catalog.DEFAULT_STYLE_REFERENCE_MODEL if inline else catalog.DEFAULT_MODEL
        model = self._forced(
            self.model(req.model, custom.model if custom and custom.model else default), force
        )
        _check_text(req.prompt, "prompt", model.max_prompt_bytes, required=True)
        _check_text(req.negative_prompt, "negative_prompt", model.max_prompt_bytes)
        output = _output(model, force)

        palette: tuple[tuple[int, int, int], ...] = ()
        substyle = req.substyle
        if custom is not None:
            style, palette, substyle = custom.style, custom.palette, custom.substyle
        elif req.style is not None and req.style not in OPENAI_STYLES:
            style = req.style
        else:
            if req.substyle is not None:
                raise InvalidRequest("substyle needs a style to refine", param="substyle")
            if model.requires_style:
                raise InvalidRequest(
                    f"model {model.id} always generates in a style: send style_id (or "
                    "style_references)",
                    param="style_id",
                )
            style = (
                catalog.DEFAULT_VECTOR_STYLE
                if output == "vector"
                else catalog.DEFAULT_STYLE[model.styles]
            )
        if style == "any" and output == "vector":
            style = catalog.DEFAULT_VECTOR_STYLE

        vector = _check_style(style, model, output, force, "style_id" if style_id else "style")
        if req.substyle is not None:
            _check_substyle(style, req.substyle, model)
        if substyle is not None and substyle not in (catalog.substyles(style, model.styles) or ()):
            substyle = None  # a custom style's substyle that this model does not have

        controls = req.controls
        artistic_level = controls.artistic_level
        if artistic_level is None and req.creativity is not None:
            artistic_level = CREATIVITY_LEVELS[req.creativity]
        width, height = self._size(model, size, extra_sizes)
        spec = GenerationSpec(
            prompt=req.prompt,
            negative_prompt=req.negative_prompt,
            model=self.engine.serving_id(model) or model.id,
            style=style,
            substyle=substyle,
            width=width,
            height=height,
            seed=req.random_seed if req.random_seed is not None else secrets.randbelow(2**31),
            n=req.n or 1,
            vector=vector,
            artistic_level=artistic_level,
            colors=controls.colors,
            background_color=controls.background_color,
            style_palette=palette,
            no_text=controls.no_text,
            text_layout=_text_layout(req.text_layout, model),
            style_id=custom.id if custom is not None else None,
        )
        return Plan(spec, model)

    def _size(self, model: catalog.Model, size: str | Size | None, extra: tuple[Size, ...]) -> Size:
        if size is None:
            return model.default_size
        if isinstance(size, tuple):
            return size
        return parse_size(size, model, extra)

    def price(self, plan: Plan) -> int:
        """Units of a text-to-image request: the model's price per image, times n."""
        return self.prices.generation(plan.model, plan.spec.vector) * plan.spec.n

    def generate(
        self,
        user_id: str,
        req: GenerationRequest,
        *,
        force: Output | None = None,
        extra_sizes: tuple[Size, ...] = (),
        references: Sequence[ImageSource] = (),
    ) -> Generation:
        """Text-to-image. ``force``: the output of /generations/raster or /vector;
        ``extra_sizes``: sizes a dialect accepts besides the model's; ``references``: uploaded
        style reference images (or the request's style_reference_urls) make a style inline."""
        style_id = self._inline_style(user_id, req, references, force)
        plan = self.plan(user_id, req, req.size, force=force, extra_sizes=extra_sizes,
                         style_id=style_id)  # fmt: skip
        spec = plan.spec
        units = self.price(plan)
        delivery = replace(req.delivery, revised_prompt=spec.prompt)
        delivered = self.deliveries.deliver(
            user_id, units, f"generation:{plan.model.id}:{spec.style}", spec.n, delivery,
            lambda: finish_generated(self.engine, spec, self.engine.generate(spec)),
        )  # fmt: skip
        return Generation(int(time.time()), delivered.units, delivered.images, style_id)

    def _inline_style(
        self,
        user_id: str,
        req: GenerationRequest,
        references: Sequence[ImageSource],
        force: Output | None,
    ) -> str | None:
        """A style made from the request's style references (uploads or URLs), if any; not
        charged apart (the generation is the charge)."""
        urls = req.style_reference_urls
        if not references and not urls:
            return None
        if references and urls:
            raise InvalidRequest(
                "send style_references as files or style_reference_urls, not both",
                "style_reference_urls",
            )
        if req.style_id is not None or req.style is not None:
            raise InvalidRequest(
                "style references make the request's style; leave style and style_id out",
                param="style_id" if req.style_id is not None else "style",
            )
        sources = list(references) or [
            ImageSource(f"style_reference_urls[{i}]", url=url) for i, url in enumerate(urls)
        ]
        if len(sources) > catalog.MAX_STYLE_IMAGES:
            raise InvalidRequest(
                f"send at most {catalog.MAX_STYLE_IMAGES} style references; got {len(sources)}",
                param="style_references",
            )
        # Everything that costs nothing is checked before any image is fetched or decoded,
        # credits and rate limit included (the lower of the model's prices: the style, and so
        # the output, is not known yet).
        model = self._forced(self.model(req.model, catalog.DEFAULT_STYLE_REFERENCE_MODEL), force)
        cheapest = min(self.prices.generation(model, vector) for vector in (False, True))
        self.deliveries.precheck(user_id, cheapest * req.n, req.n, req.delivery)
        images = [(source.field, self.inputs.read(source)) for source in sources]
        return self.styles.create_inline(user_id, images, model=model.id).id

    def explore(self, user_id: str, req: ExploreRequest) -> Generation:
        """A set of diverse images of one prompt: one seed each, so each composes anew."""
        generation = GenerationRequest(
            prompt=req.prompt,
            model=req.model or catalog.EXPLORE_MODEL,
            size=req.size,
            controls=req.controls,
            n=catalog.EXPLORE_IMAGES,
            delivery=req.delivery,
        )
        return self.generate(user_id, generation)


def parse_size(value: str, model: catalog.Model, extra: tuple[Size, ...] = ()) -> Size:
    """A size as ``WxH`` (one of the model's sizes, or ``extra``) or as an aspect ratio."""
    size = catalog.model_size(value, model, extra)
    if size is None:
        sizes = ", ".join(f"{w}x{h}" for w, h in (*model.sizes, *extra))
        raise InvalidRequest(
            f"size {value!r} is not supported by model {model.id}; use one of {sizes}, or an "
            "aspect ratio: " + ", ".join(catalog.ASPECTS),
            param="size",
        )
    return size


def _check_style(
    style: str, model: catalog.Model, output: Output | None, force: Output | None, param: str
) -> bool:
    """Refuse a style the model lacks or whose kind clashes with the output; True for vector."""
    if style not in catalog.STYLES:
        raise InvalidRequest(
            f"style {style!r} is unknown; use one of " + ", ".join(catalog.STYLES), "style"
        )
    vector = style in catalog.VECTOR_STYLES
    if catalog.substyles(style, model.styles) is None:
        v4 = "recraftv4_vector" if vector else "recraftv4"
        others = [m for m in ("recraftv2", "recraftv3", v4)
                  if catalog.substyles(style, catalog.MODELS[m].styles) is not None]  # fmt: skip
        raise InvalidRequest(
            f"style {style!r} is not available with model {model.id}; use model "
            + " or ".join(others),
            param=param,
        )
    if output is not None and vector != (output == "vector"):
        raise InvalidRequest(
            f"style {style!r} gives {'vector' if vector else 'raster'} images but "
            f"{_forced_by(model, force)} {output} images; choose a {output} style",
            param=param,
        )
    return vector


def _output(model: catalog.Model, force: Output | None) -> Output | None:
    if model.output == "any":
        return force
    return force or model.output


def _forced_by(model: catalog.Model, force: Output | None) -> str:
    return "this endpoint gives" if force is not None else f"model {model.id} gives"
