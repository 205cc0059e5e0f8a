"""Tokens, /v1/users/me, and the credit rules: exact, atomic, nothing charged on failure.

Rules run in process; the SDK, the CLI while serving and concurrency use the live server."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import openai
import pytest

from tests.conftest import InProcess, Server, both_backends, error_of, run_cli

# Tokens and credit rules on both back-ends: SQLite and PostgreSQL.
in_process = both_backends


def test_users_me(in_process: InProcess) -> None:
    token, email = in_process.create_user(credits=1234)
    body = in_process.http(token).get("/v1/users/me").json()
    assert body == {"id": body["id"], "credits": 1234, "email": email, "name": "Test User"}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer atl_unknown"}, {"Authorization": "Basic dXNlcjpwYXNz"}],
)
def test_requests_without_a_valid_token_are_401(
    in_process: InProcess, headers: dict[str, str]
) -> None:
    for method, path in [("GET", "/v1/users/me"), ("POST", "/v1/images/generations")]:
        response = in_process.http().request(method, path, headers=headers, json={"prompt": "x"})
        assert response.status_code == 401, response.text
        assert error_of(response)["code"] == "unauthorized"


def test_sdk_with_a_bad_token_raises_authentication_error(server: Server) -> None:
    with pytest.raises(openai.AuthenticationError):
        server.openai("atl_wrong").images.generate(prompt="x")


def test_tokens_of_one_user_share_a_balance_and_revoked_tokens_stop_working(
    server: Server,
) -> None:
    first, email = server.create_user(credits=100)
    created = run_cli(server.data_dir, "tokens", "create", "--email", email)
    assert created.returncode == 0, created.stderr
    second = created.stdout and __import__("json").loads(created.stdout)["token"]
    assert (
        server.http(second).post("/v1/images/generations", json={"prompt": "x"}).status_code == 200
    )
    assert server.balance(first) == 60
    revoked = run_cli(server.data_dir, "tokens", "revoke", "--token", second)
    assert revoked.returncode == 0, revoked.stderr
    assert server.http(second).get("/v1/users/me").status_code == 401
    assert server.balance(first) == 60


def test_not_enough_credits_is_402_and_charges_nothing(in_process: InProcess) -> None:
    token, _ = in_process.create_user(credits=100)
    response = in_process.http(token).post("/v1/images/generations", json={"prompt": "x", "n": 3})
    assert response.status_code == 402, response.text
    error = error_of(response)
    assert error["code"] == "not_enough_credits"
    assert "120" in str(error["message"]) and "100" in str(error["message"])
    assert in_process.balance(token) == 100


def test_sdk_sees_402_as_an_api_status_error(server: Server) -> None:
    token, _ = server.create_user(credits=0)
    with pytest.raises(openai.APIStatusError) as caught:
        server.openai(token).images.generate(prompt="x")
    assert caught.value.status_code == 402


def test_concurrent_requests_of_one_user_never_overdraw(server: Server) -> None:
    # Room for exactly 7 images at 40 units, plus 25 units that are never enough for one more.
    token, _ = server.create_user(credits=7 * 40 + 25)

    def generate(_: int) -> int:
        with server.http(token) as http:
            return http.post("/v1/images/generations", json={"prompt": "race"}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(generate, range(16)))
    assert sorted(statuses) == [200] * 7 + [402] * 9
    assert server.balance(token) == 25


def test_concurrent_requests_charge_every_delivered_image_exactly_once(server: Server) -> None:
    token, _ = server.create_user(credits=100_000)

    def generate(n: int) -> int:
        with server.http(token) as http:
            response = http.post("/v1/images/generations", json={"prompt": "p", "n": n})
            assert response.status_code == 200, response.text
            return int(response.json()["credits"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        charged = list(pool.map(generate, [1, 2, 3, 1, 2, 3, 1, 2]))
    assert charged == [40 * n for n in [1, 2, 3, 1, 2, 3, 1, 2]]
    assert server.balance(token) == 100_000 - sum(charged)


def test_unknown_route_and_method_use_the_error_envelope(in_process: InProcess) -> None:
    assert error_of(in_process.http().get("/v1/nope"))["code"] == "not_found"
    assert in_process.http().get("/v1/images/generations").status_code == 405


@pytest.mark.parametrize(
    "path", ["/v1/prompts/enhance", "/v1/colors/optimize", "/v1/images/explore", "/v1/styles"]
)
def test_the_token_is_checked_before_the_body_is_read(in_process: InProcess, path: str) -> None:
    # Not JSON at all: a server that parsed first would answer 400 invalid_json.
    response = in_process.http().post(
        path, content=b"{" * 500_000, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401 and error_of(response)["code"] == "unauthorized"
