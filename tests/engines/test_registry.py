"""Engines by registered name or by a "module:Class" path, with clear errors for bad ones."""

from __future__ import annotations

import pytest

from atelier.engines.preview import PreviewEngine
from atelier.engines.registry import UnknownEngine, engine_class


def test_registered_names_and_module_paths() -> None:
    assert engine_class("preview") is PreviewEngine
    assert engine_class("atelier.engines.preview:PreviewEngine") is PreviewEngine


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("dalle", "unknown engine 'dalle'; available: preview, diffusers"),
        ("no_such_module:Engine", "cannot import no_such_module"),
        ("atelier.engines.preview:Nothing", "Nothing is not a GenerationEngine"),
        ("atelier.config:Settings", "Settings is not a GenerationEngine"),
    ],
)
def test_bad_engines_say_what_is_wrong(name: str, message: str) -> None:
    with pytest.raises(UnknownEngine, match=message):
        engine_class(name)
