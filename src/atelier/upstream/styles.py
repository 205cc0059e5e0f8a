"""Custom styles in gateway mode: a style created through atelier is created on the upstream
that serves its model too, from the same reference images, and the upstream's id is kept, so
the user's style id works here and there; deleting it deletes both."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from PIL import Image

from atelier import catalog
from atelier.database import Database
from atelier.styles import Style
from atelier.upstream.client import UpstreamClient, UpstreamRefused, UpstreamUnavailable
from atelier.upstream.engine import UpstreamEngine, multipart_image, record_credits
from atelier.upstream.routing import RoutedEngine


class UpstreamStyles:
    """The styles.StyleMirror of gateway mode, and the id map the upstream engines read."""

    def __init__(self, db: Database, router: RoutedEngine) -> None:
        self.db = db
        self.router = router
        self.clients = {
            engine.client.config.name: engine.client
            for engine in router.engines
            if isinstance(engine, UpstreamEngine)
        }

    def _client_for(self, style: Style) -> UpstreamClient | None:
        model = catalog.MODELS.get(style.model or catalog.DEFAULT_MODEL)
        engine = self.router.engine_for(model) if model else None
        return engine.client if isinstance(engine, UpstreamEngine) else None

    def create(self, style: Style, images: Sequence[Image.Image]) -> None:
        """Create ``style`` on the upstream of its model (none: nothing to do) and keep its id.
        Called inside the style's hold, so the upstream's charge is recorded beside ours."""
        client = self._client_for(style)
        if client is None:
            return
        fields = {"style": style.style}
        if style.model:
            fields["model"] = style.model
        # The reference images as they were uploaded (multipart_image keeps their bytes).
        files = [("images", multipart_image(image)) for image in images]
        answer = client.post("/v1/styles", data=fields, files=files)
        upstream_id = answer.get("id")
        if not isinstance(upstream_id, str) or not upstream_id:
            raise UpstreamUnavailable("the upstream's style answer has no id")
        record_credits(client, answer)
        self._keep(style.id, client.config.name, upstream_id)

    def _keep(self, style_id: str, upstream: str, upstream_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO upstream_styles (style_id, upstream, upstream_style_id) "
                "VALUES (:style_id, :upstream, :upstream_style_id)",
                {"style_id": style_id, "upstream": upstream, "upstream_style_id": upstream_id},
            )

    def delete(self, style_id: str) -> None:
        """Delete the style's upstream copies (one already gone there is fine)."""
        for row in self.db.query(
            "SELECT upstream, upstream_style_id FROM upstream_styles WHERE style_id = :id",
            {"id": style_id},
        ):
            client = self.clients.get(row["upstream"])
            if client is None:
                continue  # that upstream is no longer configured
            with contextlib.suppress(UpstreamRefused):  # already deleted there
                client.delete(f"/v1/styles/{row['upstream_style_id']}")
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM upstream_styles WHERE style_id = :id", {"id": style_id})

    def upstream_id(self, style_id: str, upstream: str) -> str | None:
        row = self.db.query_one(
            "SELECT upstream_style_id FROM upstream_styles "
            "WHERE style_id = :id AND upstream = :upstream",
            {"id": style_id, "upstream": upstream},
        )
        return None if row is None else str(row["upstream_style_id"])
