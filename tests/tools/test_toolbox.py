"""Rules of the tools that are too slow to show through the server on a CPU."""

from __future__ import annotations

from atelier.catalog import CREATIVE_UPSCALE_MAX_OUTPUT_PIXELS
from atelier.tools.toolbox import creative_input_size


def test_creative_upscale_output_is_capped_keeping_the_aspect_ratio() -> None:
    assert creative_input_size(1024, 1024) == (1024, 1024)
    width, height = creative_input_size(4000, 3000)
    assert 16 * width * height <= CREATIVE_UPSCALE_MAX_OUTPUT_PIXELS
    assert 16 * (width + 1) * (height + 1) > CREATIVE_UPSCALE_MAX_OUTPUT_PIXELS
    assert abs(width / height - 4 / 3) < 0.01
