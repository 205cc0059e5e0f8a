"""The one path of everything that makes images for credits: hold the price, take the rate
limit, make the results, finish, encode and store them, then charge; any failure on the way
releases the hold, so nothing is charged that was not delivered."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from atelier.accounting.ledger import Ledger
from atelier.engines.base import Artifact
from atelier.errors import InsufficientCredits
from atelier.finishing import Finishing
from atelier.imaging.encoding import EncodedImage, encode_artifact
from atelier.jobs import check_cancelled
from atelier.metrics import Metrics
from atelier.prices import Prices
from atelier.ratelimit import ImageRateLimiter
from atelier.requests import Delivery
from atelier.storage.images import ImageStore, StoredImage
from atelier.storage.signing import UrlSigner


class Charging(Protocol):
    """What takes a paid job's credits: Deliveries (and, in unit tests, a bare Ledger)."""

    def charged(self, user_id: str, units: int, reason: str) -> AbstractContextManager[object]:
        """Hold ``units`` for the with-block; charge on success, release on failure."""

    def check(self, user_id: str, units: int) -> None:
        """Raise InsufficientCredits now if the balance is below ``units`` (takes nothing)."""


@dataclass(frozen=True)
class DeliveredImage:
    """One result: stored here, or (``passthrough``) served from where the engine got it."""

    stored: StoredImage | None
    encoded: EncodedImage
    revised_prompt: str | None = None
    nsfw_score: float | None = None
    passthrough: str | None = None  # an upstream's URL (ATELIER_UPSTREAM_PASSTHROUGH_URLS)

    @property
    def b64(self) -> str:
        return base64.b64encode(self.encoded.data).decode("ascii")

    @property
    def name(self) -> str:
        """Its file name: ours, or the last part of the upstream's URL."""
        if self.stored is not None:
            return self.stored.name
        assert self.passthrough is not None
        return urlsplit(self.passthrough).path.rsplit("/", 1)[-1]

    @property
    def image_id(self) -> str:
        return self.stored.id if self.stored is not None else self.name.split(".")[0]

    def url(self, signer: UrlSigner) -> str:
        """Where the client gets it: our signed URL, or the upstream's as it gave it."""
        if self.stored is not None:
            return signer.url(self.stored.name, self.stored.expires)
        assert self.passthrough is not None
        return self.passthrough


@dataclass(frozen=True)
class Delivered:
    """The images of one request and the units it was charged."""

    units: int
    images: list[DeliveredImage]


class Deliveries:
    def __init__(
        self,
        ledger: Ledger,
        rate_limiter: ImageRateLimiter,
        finishing: Finishing,
        store: ImageStore,
        prices: Prices,
        metrics: Metrics | None = None,
        passthrough_urls: bool = False,
    ) -> None:
        self.metrics = metrics or Metrics()
        # Gateway mode: hand out an upstream's image URLs instead of storing the images here.
        self.passthrough_urls = passthrough_urls
        self.ledger = ledger
        self.rate_limiter = rate_limiter
        self.finishing = finishing
        self.store = store
        self.prices = prices

    def precheck(self, user_id: str, units: int, count: int, delivery: Delivery) -> None:
        """Refuse now what ``deliver`` would refuse for credits or the rate limit, before any
        input image is fetched or decoded. Takes nothing: ``deliver`` still holds and counts
        atomically (another request of the user may take the credits in between)."""
        self.ledger.check(user_id, units + self.prices.finishing(delivery, count))
        self.rate_limiter.check(user_id, count)

    def deliver(
        self,
        user_id: str,
        units: int,
        reason: str,
        count: int,
        delivery: Delivery,
        make: Callable[[], list[Artifact]],
    ) -> Delivered:
        """Hold ``units`` (plus what the delivery options cost), take ``count`` images of the
        rate limit, then make, finish and store the results; charged only if all succeeds."""
        units += self.prices.finishing(delivery, count)
        with self.charged(user_id, units, reason):
            self.rate_limiter.acquire(user_id, count)
            artifacts = make()
            check_cancelled()  # timed out or abandoned meanwhile: store nothing, charge nothing
            delivered = Delivered(units, [self._store(user_id, a, delivery) for a in artifacts])
        self.metrics.images.labels(reason.split(":")[0]).inc(len(delivered.images))
        return delivered

    def check(self, user_id: str, units: int) -> None:
        self.ledger.check(user_id, units)

    @contextmanager
    def charged(self, user_id: str, units: int, reason: str) -> Iterator[None]:
        """The same path for paid work that makes no image (styles, prompts, palettes): the
        hold is charged when the with-block succeeds and the job was not abandoned."""
        try:
            with self.ledger.charged(user_id, units, reason):
                yield
                check_cancelled()
        except InsufficientCredits:
            raise  # nothing was held
        except BaseException:
            self.metrics.credits_released.inc(units)
            raise
        self.metrics.credits_charged.inc(units)

    def _store(self, user_id: str, artifact: Artifact, delivery: Delivery) -> DeliveredImage:
        finished, score = self.finishing.finish(artifact, delivery)
        encoded = encode_artifact(finished, delivery.image_format or "png")
        source = finished.source_url
        if self.passthrough_urls and source and finished is artifact:
            # The upstream's URL is handed out as it is: nothing changed the image on the way.
            return DeliveredImage(None, encoded, delivery.revised_prompt, score, source)
        stored = self.store.save(user_id, encoded, keep=delivery.keep)
        return DeliveredImage(stored, encoded, delivery.revised_prompt, score)
