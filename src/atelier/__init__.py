"""atelier: a self-hosted server of the Recraft image API."""

__version__ = "0.1.0"
