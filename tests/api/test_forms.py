"""Decoding of multipart fields: plain, JSON strings and the OpenAI SDK's bracket style."""

from __future__ import annotations

import pytest

from atelier.api.forms import decode_fields
from atelier.errors import InvalidRequest


def test_bracket_fields_as_the_openai_sdk_writes_them() -> None:
    items = [("prompt", "winter"), ("n", "2")]
    items += [("controls[colors][][rgb][]", v) for v in ["0", "255", "0", "1", "2", "3"]]
    items += [("controls[artistic_level]", "3"), ("controls[background_color][rgb][]", "9")]
    items += [
        ("controls[background_color][rgb][]", "8"),
        ("controls[background_color][rgb][]", "7"),
    ]
    items += [("text_layout[][text]", "HI"), ("text_layout[][text]", "AI")]
    items += [
        ("text_layout[][bbox][][]", v)
        for v in [
            "0.1",
            "0.2",
            "0.3",
            "0.2",
            "0.3",
            "0.4",
            "0.1",
            "0.4",
            "0",
            "0",
            "1",
            "0",
            "1",
            "1",
            "0",
            "1",
        ]
    ]
    assert decode_fields(items) == {
        "prompt": "winter",
        "n": "2",
        "controls": {
            "colors": [{"rgb": ["0", "255", "0"]}, {"rgb": ["1", "2", "3"]}],
            "artistic_level": "3",
            "background_color": {"rgb": ["9", "8", "7"]},
        },
        "text_layout": [
            {
                "text": "HI",
                "bbox": [["0.1", "0.2"], ["0.3", "0.2"], ["0.3", "0.4"], ["0.1", "0.4"]],
            },
            {"text": "AI", "bbox": [["0", "0"], ["1", "0"], ["1", "1"], ["0", "1"]]},
        ],
    }


def test_json_strings() -> None:
    fields = decode_fields(
        [("controls", '{"colors": [{"rgb": [1, 2, 3]}]}'), ("text_layout", "[]")]
    )
    assert fields == {"controls": {"colors": [{"rgb": [1, 2, 3]}]}, "text_layout": []}


@pytest.mark.parametrize(
    "items",
    [
        [("controls", "{not json")],
        [("controls[colors][][rgb][]", "1"), ("controls[colors][][rgb][]", "2")],
        [
            ("text_layout[][text]", "A"),
            ("text_layout[][text]", "B"),
            ("text_layout[][bbox][][]", "1"),
        ],
    ],
)
def test_undecodable_fields_are_client_errors(items: list[tuple[str, str]]) -> None:
    with pytest.raises(InvalidRequest):
        decode_fields(items)
