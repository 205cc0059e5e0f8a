"""The service objects one server (or one CLI call) works with, built from Settings."""

from __future__ import annotations

from dataclasses import dataclass

from atelier.accounting.accounts import Accounts
from atelier.accounting.ledger import Ledger
from atelier.config import Settings
from atelier.database import Database
from atelier.delivery import Deliveries
from atelier.editing import ImageEditor
from atelier.engines.base import GenerationEngine
from atelier.engines.registry import open_engines
from atelier.fetching import ImageFetcher
from atelier.finishing import Finishing
from atelier.generation import ImageGenerator
from atelier.idempotency import IdempotencyKeys
from atelier.inputs import ImageInputs
from atelier.jobs import Jobs
from atelier.metrics import Metrics
from atelier.migrations import ensure_current
from atelier.palettes import ColorOptimizer
from atelier.prices import Prices
from atelier.prompting import PromptService, create_enhancer
from atelier.ratelimit import ImageRateLimiter
from atelier.storage.blobs import open_blob_store
from atelier.storage.images import ImageStore
from atelier.storage.signing import UrlSigner, shared_secret
from atelier.styles import StyleLibrary
from atelier.tools.nsfw import NsfwClassifier
from atelier.tools.toolbox import Toolbox
from atelier.upstream.gateway import mirror_styles


@dataclass
class Services:
    settings: Settings
    db: Database
    engine: GenerationEngine
    prices: Prices
    accounts: Accounts
    ledger: Ledger
    rate_limiter: ImageRateLimiter
    store: ImageStore
    signer: UrlSigner
    styles: StyleLibrary
    generator: ImageGenerator
    editor: ImageEditor
    toolbox: Toolbox
    jobs: Jobs
    inputs: ImageInputs
    prompts: PromptService
    palettes: ColorOptimizer
    idempotency: IdempotencyKeys
    metrics: Metrics


def build_services(settings: Settings) -> Services:
    metrics = Metrics()
    db = Database(settings.database)
    ensure_current(db)  # an empty database is created; an older schema stops here
    ledger = Ledger(db, settings.hold_lease_seconds)
    prices = Prices(settings.prices)
    secret = (
        settings.secret_key.encode()
        if settings.secret_key
        else shared_secret(db, legacy_file=settings.data_dir / "secret.key")
    )
    store = ImageStore(
        db,
        open_blob_store(settings.storage_url, "images", settings.images_dir),
        settings.image_ttl_seconds,
        settings.kept_image_ttl_seconds,
    )
    fetcher = ImageFetcher(
        allowed_hosts=frozenset(settings.image_fetch_allowed_hosts),
        max_bytes=settings.max_upload_bytes,
        timeout_seconds=settings.image_fetch_timeout_seconds,
    )
    inputs = ImageInputs(fetcher, settings.max_upload_bytes)
    # Models load lazily on first use: start-up stays fast and unused tools cost no memory.
    engines = open_engines(settings)
    upscaler = engines.upscaling
    rate_limiter = ImageRateLimiter(
        db, settings.rate_limit_images, settings.rate_limit_window_seconds
    )
    deliveries = Deliveries(
        ledger,
        rate_limiter,
        Finishing(upscaler, NsfwClassifier(), settings.nsfw_threshold),
        store,
        prices,
        metrics,
        passthrough_urls=settings.upstream_passthrough_urls,
    )
    styles = StyleLibrary(
        db,
        open_blob_store(settings.storage_url, "styles", settings.styles_dir),
        deliveries,
        prices["style_creation"],
        settings.max_style_upload_bytes,
        inputs,
    )
    engine = engines.generation
    mirror_styles(engine, db, styles)  # gateway mode: styles are made upstream too
    metrics.watch_engine(engine)
    generator = ImageGenerator(engine, styles, prices, deliveries, inputs)
    remover = engines.matting
    toolbox = Toolbox(
        prices, deliveries, inputs, remover, upscaler, engines.erasing, engines.vectorizing
    )
    editor = ImageEditor(generator, engine, prices, deliveries, store, inputs, remover)
    return Services(
        settings=settings,
        db=db,
        engine=engine,
        prices=prices,
        accounts=Accounts(db),
        ledger=ledger,
        rate_limiter=rate_limiter,
        store=store,
        signer=UrlSigner(secret, settings.base_url),
        styles=styles,
        generator=generator,
        editor=editor,
        toolbox=toolbox,
        inputs=inputs,
        jobs=Jobs(
            settings.engine_workers,
            settings.tool_workers,
            settings.job_timeout_seconds,
            queue_length=settings.job_queue_length,
            user_jobs=settings.user_jobs,
            metrics=metrics,
        ),
        prompts=PromptService(
            create_enhancer(
                settings.prompt_enhancer_url,
                settings.prompt_enhancer_model,
                settings.prompt_enhancer_api_key,
                settings.prompt_enhancer_timeout_seconds,
            ),
            deliveries,
            prices["prompt_enhancement"],
        ),
        palettes=ColorOptimizer(deliveries, prices["color_optimization"]),
        # A key still running past the job time limit (and a minute more for the rest of the
        # request) was left by a process that died.
        idempotency=IdempotencyKeys(db, settings.job_timeout_seconds + 60),
        metrics=metrics,
    )
