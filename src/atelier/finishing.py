"""What every result goes through after the engine: the upscale option and NSFW scoring."""

from __future__ import annotations

import math

from PIL import Image

from atelier.engines.base import Artifact, RasterImage
from atelier.engines.nsfw import NsfwClassifier
from atelier.engines.upscaler import Upscaler
from atelier.errors import AtelierError
from atelier.requests import Delivery

# The pixel counts the upscale option aims at (Recraft: "upscale4mp", "upscale16mp").
UPSCALE_TARGETS = {"upscale4mp": 4_000_000, "upscale16mp": 16_000_000}


class NsfwBlocked(AtelierError):
    """block_nsfw was asked and a result scored at or above the threshold."""

    status = 422
    code = "nsfw_blocked"


class Finishing:
    """Upscales and scores results as a request's Delivery asks (priced by Prices.finishing)."""

    def __init__(
        self,
        upscaler: Upscaler,
        classifier: NsfwClassifier,
        nsfw_threshold: float,
    ) -> None:
        self.upscaler = upscaler
        self.classifier = classifier
        self.nsfw_threshold = nsfw_threshold

    def finish(self, artifact: Artifact, delivery: Delivery) -> tuple[Artifact, float | None]:
        """The artifact upscaled as asked, and its NSFW score when one is asked for.

        Vector results are neither upscaled (SVG scales by itself) nor scored (the classifier
        sees pixels); their score is None.
        """
        if not isinstance(artifact, RasterImage):
            return artifact, None
        if delivery.upscale:
            artifact = RasterImage(self._upscaled(artifact.image, delivery.upscale))
        if not delivery.scores:
            return artifact, None
        score = round(self.classifier.score(artifact.image), 4)
        if delivery.block_nsfw and score >= self.nsfw_threshold:
            raise NsfwBlocked(
                f"a result was blocked as NSFW (score {score:.2f}, threshold "
                f"{self.nsfw_threshold}); nothing was charged; change the prompt",
                param="block_nsfw",
            )
        return artifact, score

    def _upscaled(self, image: Image.Image, mode: str) -> Image.Image:
        pixels = image.width * image.height
        target = UPSCALE_TARGETS[mode]
        if pixels >= 0.9 * target:
            return image  # already that large (a Pro model's 2K images for upscale4mp)
        scale = 2 if math.sqrt(target / pixels) <= 2.5 else 4
        return self.upscaler.crisp(image, scale=scale)
