"""Images and style references in an S3-compatible bucket (moto's server, reached through boto3 as AWS is), through
live servers: the signed URLs stream them with their type and length, work on another server
sharing the bucket and the signing key, or redirect to a presigned URL when asked."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import S3, Server, encode, fetch, logo, start_server


@pytest.fixture(scope="module")
def bucket(s3: S3) -> str:
    return s3.new_bucket()


@pytest.fixture(scope="module")
def replicas(
    s3: S3, bucket: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Server]]:
    env = {
        **s3.env,
        "ATELIER_STORAGE_URL": f"s3://{bucket}/atelier",
        "ATELIER_SECRET_KEY": "k" * 64,
    }
    first = start_server(tmp_path_factory.mktemp("replica-a"), **env)
    second = start_server(
        tmp_path_factory.mktemp("replica-b"), **env, ATELIER_STORAGE_REDIRECT="true"
    )
    yield first, second
    first.stop()
    second.stop()


def test_images_live_in_the_bucket_and_stream_from_any_replica(
    replicas: tuple[Server, Server], s3: S3, bucket: str
) -> None:
    first, second = replicas
    token = first.create_user()[0]
    made = first.http(token).post("/v1/images/generations", json={"prompt": "a fox"}).json()
    url = made["data"][0]["url"]
    served = fetch(url)
    assert served.headers["content-type"] == "image/png"
    assert int(served.headers["content-length"]) == len(served.content) > 1000
    image_id = made["data"][0]["image_id"]
    stored = s3.client().get_object(
        Bucket=bucket, Key=f"atelier/images/{image_id[:2]}/{image_id}.png"
    )
    assert stored["Body"].read() == served.content
    # The same link on the other replica (same bucket, same signing key): a 307 to the bucket.
    parts = urlsplit(url)
    on_second = f"{second.url}{parts.path}?{parts.query}"
    redirect = httpx.get(on_second)
    assert redirect.status_code == 307
    assert redirect.headers["location"].startswith(s3.endpoint)
    assert httpx.get(redirect.headers["location"]).content == served.content


def test_style_references_live_in_the_bucket_too(
    replicas: tuple[Server, Server], s3: S3, bucket: str
) -> None:
    first, _ = replicas
    token = first.create_user()[0]
    with first.http(token) as http:
        created = http.post(
            "/v1/styles",
            data={"style": "digital_illustration"},
            files=[("images", ("a.png", encode(logo()), "image/png"))],
        )
        assert created.status_code == 200, created.text
        style_id = created.json()["id"]
        listed = s3.client().list_objects_v2(Bucket=bucket, Prefix=f"atelier/styles/{style_id}/")
        assert [o["Key"] for o in listed["Contents"]] == [f"atelier/styles/{style_id}/0.png"]
        assert http.delete(f"/v1/styles/{style_id}").status_code == 200
    listed = s3.client().list_objects_v2(Bucket=bucket, Prefix=f"atelier/styles/{style_id}/")
    assert "Contents" not in listed
