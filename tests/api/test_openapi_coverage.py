"""Recraft's current OpenAPI description, walked: every operation is served and every request
field it defines is accepted. A field or operation added to the file shows up here first."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from atelier.api import colors, prompts, schemas, styles
from tests.conftest import Server

SPEC_PATH = Path(__file__).parents[1] / "data" / "recraft-openapi.json"
SHARED_SPEC = Path(__file__).parents[3] / "shared" / "spec" / "recraft-openapi.json"
SPEC: dict[str, Any] = json.loads(SPEC_PATH.read_text())

# operationId -> (the model atelier parses the body with, the file parts it takes instead of
# the JSON body's *_url fields). The JSON and multipart variants share one model.
OPERATIONS: dict[str, tuple[type[BaseModel], tuple[str, ...]]] = {
    "GenerateImage": (schemas.GenerateRequest, ("style_references",)),
    "GenerateImageRaster": (schemas.GenerateRequest, ("style_references",)),
    "GenerateImageVector": (schemas.GenerateRequest, ("style_references",)),
    "ImageToImage": (schemas.ImageToImageRequest, ("image",)),
    "InpaintImage": (schemas.MaskedTransformRequest, ("image", "mask")),
    "GenerateBackground": (schemas.MaskedTransformRequest, ("image", "mask")),
    "ReplaceBackground": (schemas.TransformRequest, ("image",)),
    "OutpaintImage": (schemas.OutpaintRequest, ("image",)),
    "VariateImage": (schemas.VariateRequest, ("image",)),
    "VectorizeImage": (schemas.VectorizeRequest, ("image",)),
    "RemoveBackground": (schemas.ToolRequest, ("image",)),
    "CrispUpscale": (schemas.ToolRequest, ("image",)),
    "CreativeUpscale": (schemas.ToolRequest, ("image",)),
    "ClarityUpscale": (schemas.ToolRequest, ("image",)),
    "GenerativeUpscale": (schemas.ToolRequest, ("image",)),
    "EraseRegion": (schemas.EraseRequest, ("image", "mask")),
    "Explore": (schemas.ExploreRequest, ()),
    "ExploreSimilar": (schemas.ExploreSimilarRequest, ()),
    "EnhancePrompt": (prompts.EnhancePromptRequest, ()),
    "OptimizeColors": (colors.OptimizeColorsRequest, ()),
    "CreateStyle": (styles.CreateStyleJSON, ("images",)),
}
# Nested request objects: the spec's schema name -> atelier's model.
NESTED: dict[str, type[BaseModel]] = {
    "UserControls": schemas.Controls,
    "ImageColor": schemas.Color,
    "TextLayoutItem": schemas.TextLayoutItem,
    "ColorHexAndWeight": colors.ColorHexAndWeight,
}


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """A schema with $ref and allOf flattened into one {"properties", "required"}."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return resolve(SPEC["components"]["schemas"][name])
    properties: dict[str, Any] = dict(schema.get("properties", {}))
    required = set(schema.get("required", []))
    for part in schema.get("allOf", []):
        flat = resolve(part)
        properties.update(flat["properties"])
        required |= flat["required"]
    return {"properties": properties, "required": required}


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op) for path, item in SPEC["paths"].items() for method, op in item.items()
    ]


def test_the_copy_of_the_spec_is_current() -> None:
    if SHARED_SPEC.exists():  # beside a checkout; a CI clone may have only the copy
        assert json.loads(SHARED_SPEC.read_text()) == SPEC


def test_every_operation_is_served(server: Server) -> None:
    served = httpx.get(f"{server.url}/openapi.json").json()["paths"]
    missing = [
        f"{method.upper()} {path}"
        for path, method, _ in operations()
        if method not in served.get(path, {})
    ]
    assert not missing


@pytest.mark.parametrize(
    ("operation", "content_type"),
    [
        (op["operationId"], content_type)
        for _, _, op in operations()
        for content_type in op.get("requestBody", {}).get("content", {})
    ],
)
def test_every_request_field_is_accepted(operation: str, content_type: str) -> None:
    op = next(op for _, _, op in operations() if op["operationId"] == operation)
    schema = resolve(op["requestBody"]["content"][content_type]["schema"])
    model, files = OPERATIONS[operation]
    accepted = set(model.model_fields) | set(files)
    assert set(schema["properties"]) - accepted == set()


@pytest.mark.parametrize("name", sorted(NESTED))
def test_every_nested_field_is_accepted(name: str) -> None:
    schema = resolve({"$ref": f"#/components/schemas/{name}"})
    assert set(schema["properties"]) - set(NESTED[name].model_fields) == set()


def test_every_enum_value_of_the_request_enums_is_accepted() -> None:
    """Enums the spec gives request fields (e.g. ImageFormat, ShapeStacking) are all taken."""
    for _, _, op in operations():
        for content in op.get("requestBody", {}).get("content", {}).values():
            model, _ = OPERATIONS[op["operationId"]]
            for field, prop in resolve(content["schema"])["properties"].items():
                if "$ref" not in prop or field == "model":  # model ids: the catalog's business
                    continue
                enum = SPEC["components"]["schemas"][prop["$ref"].rsplit("/", 1)[1]].get("enum")
                if field not in model.model_fields or not enum:
                    continue
                if field == "size":  # sizes depend on the model; tested in test_current_api
                    continue
                for value in enum:
                    data = {field: value}
                    errors = _field_errors(model, data, field)
                    assert not errors, (op["operationId"], field, value, errors)


def _field_errors(model: type[BaseModel], data: dict[str, Any], field: str) -> list[Any]:
    """Validation errors that concern ``field`` (others, e.g. missing prompt, are ignored)."""
    from pydantic import ValidationError

    try:
        model.model_validate(data)
    except ValidationError as exc:
        return [e for e in exc.errors() if e["loc"] and e["loc"][0] == field]
    return []


@pytest.mark.parametrize(
    "path",
    sorted(
        path
        for path, method, op in operations()
        if any(p.get("$ref", "").endswith("/billing") for p in op.get("parameters", []))
        and method == "post"
    ),
)
def test_billing_is_taken_and_checked(path: str, local: httpx.Client) -> None:
    response = local.post(f"{path}?billing=monthly", json={})
    assert response.status_code == 400, response.text
    assert response.json()["param"] == "billing"
