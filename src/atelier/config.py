"""The one Settings object: every knob of the server, from env ATELIER_* or CLI flags."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from atelier.fetching import parse_allow_entry

MB = 1024 * 1024
YEAR = 365 * 24 * 3600
# The Ray Serve deployments of ATELIER_RAY_ADDRESS, and the options each may be given.
RAY_DEPLOYMENTS = ("generation", "matting", "upscaling", "erasing", "vectorizing")
RAY_DEPLOYMENT_OPTIONS = frozenset(
    {"num_replicas", "autoscaling_config", "max_ongoing_requests", "max_queued_requests",
     "ray_actor_options"}
)  # fmt: skip
MAX_CREDITS = 10**15  # far beyond any balance; keeps sums within SQLite's 64-bit integers
# The checkout atelier runs from (src/atelier/config.py is two levels below it): where `make`
# puts model files, so that they are found whatever the server's working directory is.
CHECKOUT = Path(__file__).resolve().parents[2]


class UpstreamSettings(BaseModel):
    """One upstream of gateway mode (ATELIER_UPSTREAMS): where it is and the operator's key,
    named by a variable or a file (the key itself is never in the settings)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(pattern=r"^https?://[^\s]+$", description="the API's base URL")
    key_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    key_file: Path | None = None
    timeout_seconds: float = Field(300.0, gt=0, le=3600, description="per call")
    max_concurrency: int = Field(16, ge=1, le=1024, description="calls in flight at once")
    retries: int = Field(2, ge=0, le=10, description="further tries of a 429 answer")
    circuit_failures: int = Field(5, ge=1, le=1000, description="failures in a row that open it")
    circuit_open_seconds: float = Field(30.0, gt=0, le=3600, description="how long it stays open")
    dialect: Literal["recraft", "aimlapi"] = Field(
        "recraft",
        description="what the upstream speaks: Recraft's API, or the AI/ML API's "
        "(generations with recraft-v3 only)",
    )

    @model_validator(mode="after")
    def _one_key_source(self) -> UpstreamSettings:
        if self.key_env and self.key_file:
            raise ValueError("give key_env or key_file, not both")
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ATELIER_", extra="forbid")

    data_dir: Path = Field(Path("var"), description="SQLite database and image files live here")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    public_url: str | None = Field(
        None, description="Base of the image URLs we hand out; default http://HOST:PORT"
    )
    workers: int = Field(
        1, ge=1, le=64,
        description="Server processes on one port; each loads its own engines (memory x N)",
    )  # fmt: skip
    engine: str = Field(
        "preview", description="Generation engine: preview, diffusers or a module:Class path"
    )

    diffusion_models: dict[str, Path] = Field(
        default_factory=dict,
        description="Engine diffusers: Recraft model id -> local weights (a diffusers folder "
        'or a .safetensors file), e.g. {"recraftv3": "/models/sdxl-turbo"}',
    )
    diffusion_steps: int = Field(4, ge=1, le=100)
    diffusion_guidance: float = Field(0.0, ge=0, le=50, description="0 for turbo models")
    diffusion_max_batch: int = Field(8, ge=1, le=256, description="Images per batched forward pass")
    diffusion_batch_wait_ms: float = Field(
        10.0, ge=0, le=10_000, description="Wait for a batch to fill"
    )
    diffusion_device: str | None = Field(None, description="cuda, cuda:1, cpu; default auto")
    diffusion_compile: bool = Field(False, description="torch.compile the UNet (CUDA only)")

    matting_engine: str = Field(
        "onnx", description="removeBackground's matting: onnx (the model below) or module:Class"
    )
    upscale_engine: str = Field(
        "realesrgan", description="The upscalers: realesrgan (ncnn, CPU) or module:Class"
    )
    eraser_engine: str = Field(
        "inpaint", description="eraseRegion: inpaint (OpenCV Telea, or LaMa ONNX) or module:Class"
    )
    matting_model_path: Path = Field(
        CHECKOUT / "models" / "isnet.onnx",
        description="ONNX matting model of removeBackground/replaceBackground: ISNet (fetched "
        "by `make` into the checkout's models/) or a rembg u2net/birefnet file",
    )
    matting_preset: Literal["isnet", "u2net", "birefnet"] | None = Field(
        None, description="isnet, u2net or birefnet when the matting model's input is ambiguous"
    )
    eraser_model_path: Path | None = Field(
        None, description="Optional LaMa ONNX model for eraseRegion; default OpenCV Telea"
    )
    upscale_tile: int = Field(
        256, ge=32, le=2048, description="Upscaler tile size: bounds its memory"
    )

    image_fetch_allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts (or host:port) that image URLs in prompts may point at even when "
        "they resolve to loopback or private addresses; JSON list in the environment",
    )
    image_fetch_timeout_seconds: float = Field(10.0, gt=0, le=300)

    prompt_enhancer_url: str | None = Field(
        None,
        description="OpenAI-compatible base URL (e.g. http://localhost:11434/v1) whose "
        "chat/completions enhances prompts; default: the built-in deterministic enhancer",
    )
    prompt_enhancer_model: str = Field("default", description="Model name sent to that server")
    prompt_enhancer_api_key: str | None = Field(None, description="Bearer key for that server")
    prompt_enhancer_timeout_seconds: float = Field(30.0, gt=0, le=600)
    nsfw_threshold: float = Field(
        0.8, gt=0, le=1, description="block_nsfw refuses results scoring at least this"
    )

    image_ttl_seconds: int = Field(
        24 * 3600, gt=0, le=10 * YEAR, description="How long images are kept"
    )
    kept_image_ttl_seconds: int | None = Field(
        None,
        gt=0,
        le=100 * YEAR,
        description="How long images asked not to expire (expire=false) are kept; default: "
        "until deleted (atelier images delete)",
    )
    sweep_interval_seconds: float = Field(
        300.0, gt=0, le=86400, description="How often expired images go"
    )
    rate_limit_images: int = Field(
        100, gt=0, le=1_000_000, description="Images per user per window"
    )
    rate_limit_window_seconds: float = Field(60.0, gt=0, le=86400)

    ray_address: str | None = Field(
        None,
        description="Run the engine and tools as Ray Serve deployments on this Ray cluster "
        "(an address ray.init takes, e.g. auto or head:6379; local: start one here); "
        "default: in this process",
    )
    ray_app: str = Field(
        "atelier",
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="Name of the Serve application holding the deployments (two atelier "
        "set-ups may share one cluster under two names)",
    )
    ray_deployments: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Ray Serve options per deployment (generation, generation-<model> for a "
        "model of a diffusers map, matting, upscaling, erasing): num_replicas, "
        "autoscaling_config, max_ongoing_requests, ray_actor_options",
    )

    upstreams: dict[str, UpstreamSettings] = Field(
        default_factory=dict,
        description="Gateway mode: model ids (patterns like recraftv4*, or *) and tool endpoint "
        "names mapped to an upstream Recraft-compatible API, e.g. "
        '{"*": {"url": "https://external.api.recraft.ai", "key_env": "RECRAFT_API_TOKEN"}}; '
        "first match wins, the rest is served here",
    )

    upstream_passthrough_urls: bool = Field(
        False,
        description="Gateway mode: hand out the upstream's image URLs (its expiry) instead of "
        "storing generated images here and signing our own",
    )

    engine_workers: int = Field(
        16, ge=1, le=1024, description="Generation and edit jobs run at once (their own threads)"
    )
    tool_workers: int = Field(
        4, ge=1, le=256, description="Tool jobs (matting, upscaling...) at once"
    )
    hold_lease_seconds: float = Field(
        60.0, ge=1, le=3600,
        description="A credit hold whose server stopped renewing it for this long is released",
    )  # fmt: skip
    job_queue_length: int = Field(
        64, ge=0, le=100_000, description="Jobs that may wait per pool; past it, 503 server_busy"
    )
    user_jobs: int = Field(
        32, ge=1, le=100_000, description="Jobs one user may have queued or running at once"
    )
    job_timeout_seconds: float = Field(
        900.0,
        gt=0,
        le=86400,
        description="A job still running after this is stopped (504, uncharged)",
    )

    prices: dict[str, Annotated[StrictInt, Field(ge=0, le=1_000_000)]] = Field(
        default_factory=dict,
        description="Overrides of catalog.PRICES: units per key, whole and not negative (0: free)",
    )
    max_upload_bytes: int = Field(
        5 * MB, ge=1024, le=1024 * MB, description="Total size of uploaded image files"
    )
    max_style_upload_bytes: int = Field(
        10 * MB,
        ge=1024,
        le=1024 * MB,
        description="Total size of a style's reference images (Recraft's current API)",
    )
    max_json_bytes: int = Field(
        1 * MB, ge=1024, le=1024 * MB, description="Largest JSON body without images"
    )

    log_format: Literal["text", "json"] = Field(
        "text", description="text, or json: one JSON object per log line"
    )
    keep_alive_seconds: float = Field(
        5.0, gt=0, le=600, description="An idle keep-alive connection is closed after this"
    )
    header_timeout_seconds: float = Field(
        10.0, gt=0, le=600, description="A request's headers must arrive within this"
    )
    body_timeout_seconds: float = Field(
        60.0, gt=0, le=3600, description="A request's body must arrive within this (408)"
    )
    shutdown_grace_seconds: float = Field(
        30.0, ge=0, le=3600, description="On SIGTERM, in-flight requests get this long to finish"
    )

    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database every process shares, e.g. "
        "postgresql+psycopg://user:pass@host/db; default: sqlite:///<data dir>/atelier.sqlite3",
    )
    storage_url: str | None = Field(
        None,
        description="Where image bytes go: s3://bucket/prefix (credentials, endpoint and region "
        "from the AWS_* variables); default: the data dir's images folder",
    )
    storage_redirect: bool = Field(
        False, description="Answer image URLs with a 307 to a short-lived presigned S3 URL"
    )

    secret_key: str | None = Field(
        None, description="HMAC key for image URLs; default: generated once into the database"
    )
    bootstrap_email: str | None = Field(
        "local@atelier.localhost",
        description="On first start, create this user with bootstrap_credits; empty to skip",
    )
    bootstrap_credits: int = Field(1_000_000_000, ge=0, le=MAX_CREDITS)

    @property
    def database(self) -> str:
        """The database URL: database_url, or the SQLite file in the data dir."""
        return self.database_url or f"sqlite:///{self.data_dir / 'atelier.sqlite3'}"

    @field_validator("image_fetch_allowed_hosts")
    @classmethod
    def _hosts_parse(cls, hosts: list[str]) -> list[str]:
        for entry in hosts:
            parse_allow_entry(entry)  # its ValueError says which entry and why
        return hosts

    @field_validator("prices")
    @classmethod
    def _price_keys_are_known(cls, prices: dict[str, int]) -> dict[str, int]:
        from atelier.catalog import PRICES

        unknown = sorted(set(prices) - set(PRICES))
        if unknown:
            raise ValueError(f"unknown price keys {unknown}; known: {sorted(PRICES)}")
        return prices

    @field_validator("database_url")
    @classmethod
    def _database_url_is_known(cls, url: str | None) -> str | None:
        if url and not url.startswith(("sqlite:///", "postgresql")):
            raise ValueError(
                # The URL is not echoed: it may carry a password.
                "database_url must be sqlite:///path or postgresql+psycopg://user:pass@host/db"
            )
        return url or None

    @field_validator("ray_deployments")
    @classmethod
    def _ray_deployments_are_known(
        cls, deployments: dict[str, dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        for name, options in deployments.items():
            # generation-<model>: one model's deployment of a diffusers map.
            if name not in RAY_DEPLOYMENTS and not name.startswith("generation-"):
                raise ValueError(
                    f"ray_deployments: no deployment {name!r}; they are "
                    + ", ".join(RAY_DEPLOYMENTS)
                    + ", and generation-<model> for each model of a diffusers map"
                )
            unknown = set(options) - RAY_DEPLOYMENT_OPTIONS
            if unknown:
                raise ValueError(
                    f"ray_deployments.{name}: unknown options {sorted(unknown)}; known: "
                    + ", ".join(sorted(RAY_DEPLOYMENT_OPTIONS))
                )
        return deployments

    @field_validator("storage_url")
    @classmethod
    def _storage_url_is_known(cls, url: str | None) -> str | None:
        if url and not (url.startswith("s3://") and len(url) > 5) and not url.startswith("file://"):
            raise ValueError(f"storage_url must be s3://bucket/prefix or file:///path, not {url!r}")
        return url or None

    @field_validator("prompt_enhancer_url")
    @classmethod
    def _enhancer_url_is_http(cls, url: str | None) -> str | None:
        if url and not url.startswith(("http://", "https://")):
            raise ValueError(f"prompt_enhancer_url must be an http(s) URL, not {url!r}")
        return url or None  # an empty variable means "not set"

    @property
    def images_dir(self) -> Path:
        return self.data_dir / "images"

    @property
    def styles_dir(self) -> Path:
        return self.data_dir / "styles"

    @property
    def local_token_path(self) -> Path:
        return self.data_dir / "local_token.txt"

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def max_request_bytes(self) -> int:
        """Cap on any request body: the largest upload budget, base64-encoded (JSON bodies
        carry images as data: URLs), plus room for form fields and headers."""
        largest = max(self.max_upload_bytes, self.max_style_upload_bytes) * 4 // 3
        return max(largest, self.max_json_bytes) + 256 * 1024
