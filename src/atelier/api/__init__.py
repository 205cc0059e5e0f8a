"""The HTTP API: request/response schemas and one thin router per area."""
