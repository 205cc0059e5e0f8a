"""Gateway mode: models and tools served by an upstream Recraft-compatible API."""
