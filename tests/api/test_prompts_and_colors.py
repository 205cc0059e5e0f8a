"""POST /v1/prompts/enhance, POST /v1/colors/optimize, GET /status and /ping, in process; the\nLLM behind the enhancer is a real HTTP server."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.conftest import InProcess, assert_rejected, error_of, in_process_app

HEX = re.compile(r"#[0-9a-f]{6}")


# --- the built-in enhancer ------------------------------------------------------------------


def test_enhance_charges_one_unit_and_keeps_the_prompt(
    local: httpx.Client, in_process: InProcess, local_token: str
) -> None:
    before = in_process.balance(local_token)
    response = local.post("/v1/prompts/enhance", json={"prompt": "two race cars on a track"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"enhanced_prompt", "credits"}
    assert body["credits"] == 1
    assert body["enhanced_prompt"].startswith("two race cars on a track, ")
    assert in_process.balance(local_token) == before - 1
    again = local.post("/v1/prompts/enhance", json={"prompt": "two race cars on a track"})
    assert again.json()["enhanced_prompt"] == body["enhanced_prompt"]
    assert in_process.balance(local_token) == before - 2


@pytest.mark.parametrize("billing", ["api", "subscription"])
def test_billing_values_are_accepted(local: httpx.Client, billing: str) -> None:
    response = local.post(
        "/v1/prompts/enhance", params={"billing": billing}, json={"prompt": "a cat"}
    )
    assert response.status_code == 200, response.text
    response = local.post(
        "/v1/colors/optimize",
        params={"billing": billing},
        json={"colors": [{"hex": "#fff"}], "num_colors_limit": 1},
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", ["/v1/prompts/enhance", "/v1/colors/optimize"])
def test_unknown_billing_is_rejected(local: httpx.Client, path: str) -> None:
    body: dict[str, Any] = (
        {"prompt": "a cat"}
        if "prompts" in path
        else {"colors": [{"hex": "#fff"}], "num_colors_limit": 1}
    )
    assert_rejected(local.post(path, params={"billing": "free"}, json=body), "billing", "api")


@pytest.mark.parametrize(
    ("body", "param", "hint"),
    [
        ({"prompt": ""}, "prompt", "empty"),
        ({"prompt": "  \n "}, "prompt", "empty"),
        ({"prompt": "x" * 10_001}, "prompt", "10000"),
        ({}, "prompt", "required"),
        ({"prompt": 5}, "prompt", "string"),
        ({"prompt": "a cat", "style": "icon"}, "style", "not permitted"),
    ],
)
def test_bad_prompts_are_rejected_and_cost_nothing(
    local: httpx.Client,
    in_process: InProcess,
    local_token: str,
    body: dict[str, Any],
    param: str,
    hint: str,
) -> None:
    before = in_process.balance(local_token)
    assert_rejected(local.post("/v1/prompts/enhance", json=body), param, hint)
    assert in_process.balance(local_token) == before


def test_a_prompt_of_exactly_the_limit_is_taken(local: httpx.Client) -> None:
    prompt = "a" * 10_000
    response = local.post("/v1/prompts/enhance", json={"prompt": prompt})
    assert response.status_code == 200, response.text
    assert response.json()["enhanced_prompt"] == prompt  # no room left to add anything


def test_enhance_needs_a_token_and_credits(in_process: InProcess) -> None:
    with in_process.http() as anonymous:
        response = anonymous.post("/v1/prompts/enhance", json={"prompt": "a cat"})
    assert response.status_code == 401
    broke, _ = in_process.create_user(credits=0)
    with in_process.http(broke) as client:
        response = client.post("/v1/prompts/enhance", json={"prompt": "a cat"})
        assert response.status_code == 402
        assert error_of(response)["code"] == "not_enough_credits"
        # Palette optimisation is free by default: a user without credits may use it.
        response = client.post(
            "/v1/colors/optimize", json={"colors": [{"hex": "fff"}], "num_colors_limit": 1}
        )
        assert response.status_code == 200, response.text


# --- palette optimisation -------------------------------------------------------------------


def test_optimize_maps_every_colour_within_the_limit(
    local: httpx.Client, in_process: InProcess, local_token: str
) -> None:
    before = in_process.balance(local_token)
    colors = [
        {"hex": "#FF0000", "weight": 5},
        {"hex": "f00"},
        {"hex": "#ee1111", "weight": 1},
        {"hex": "#0000ff", "weight": 3},
        {"hex": "#1010EE"},
        {"hex": "00ff00", "weight": 0.5},
        {"hex": "#ffffff"},
    ]
    response = local.post("/v1/colors/optimize", json={"colors": colors, "num_colors_limit": 3})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["credits"] == 0
    mapping = body["mapping"]
    assert [m["from"] for m in mapping] == [
        "#ff0000", "#ff0000", "#ee1111", "#0000ff", "#1010ee", "#00ff00", "#ffffff",
    ]  # fmt: skip
    assert all(set(m) == {"from", "to"} and HEX.fullmatch(m["to"]) for m in mapping)
    targets = [m["to"] for m in mapping]
    assert len(set(targets)) == 3
    assert targets[0] == targets[1] == targets[2] == "#ff0000"  # the heaviest red
    assert targets[3] == targets[4] == "#0000ff"
    assert in_process.balance(local_token) == before


def test_optimize_within_the_limit_is_the_identity(local: httpx.Client) -> None:
    response = local.post(
        "/v1/colors/optimize",
        json={"colors": [{"hex": "#123456"}, {"hex": "#abcdef"}], "num_colors_limit": 5},
    )
    assert response.json()["mapping"] == [
        {"from": "#123456", "to": "#123456"},
        {"from": "#abcdef", "to": "#abcdef"},
    ]


BAD_PALETTES = [
        ({"colors": [{"hex": "#fff"}, {"hex": "#ggg"}], "num_colors_limit": 1}, "colors[1].hex", "hex"),
        ({"colors": [{"hex": "#ff00"}], "num_colors_limit": 1}, "colors[0].hex", "hex"),
        ({"colors": [{"hex": "#fff"}], "num_colors_limit": 0}, "num_colors_limit", "at least 1"),
        ({"colors": [{"hex": "#fff"}], "num_colors_limit": -3}, "num_colors_limit", "at least 1"),
        ({"colors": [], "num_colors_limit": 1}, "colors", "at least one"),
        ({"colors": [{"hex": "#fff"}] * 257, "num_colors_limit": 1}, "colors", "256"),
        ({"colors": [{"hex": "#fff", "weight": -1}], "num_colors_limit": 1}, "colors[0].weight", ">= 0"),
        ({"colors": [{"hex": "#fff", "rgb": [1, 2, 3]}], "num_colors_limit": 1}, "colors[0].rgb", "not permitted"),
        ({"colors": [{"hex": "#fff"}]}, "num_colors_limit", "required"),
        ({"colors": [{"hex": "#fff"}], "num_colors_limit": 1, "n": 2}, "n", "not permitted"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "param", "hint"), BAD_PALETTES)
def test_bad_palettes_are_rejected(
    local: httpx.Client, body: dict[str, Any], param: str, hint: str
) -> None:
    assert_rejected(local.post("/v1/colors/optimize", json=body), param, hint)


def test_optimize_needs_a_token(in_process: InProcess) -> None:
    with in_process.http() as anonymous:
        response = anonymous.post(
            "/v1/colors/optimize", json={"colors": [{"hex": "fff"}], "num_colors_limit": 1}
        )
    assert response.status_code == 401


# --- status and ping ------------------------------------------------------------------------


def test_status_and_ping_need_no_token(in_process: InProcess) -> None:
    with in_process.http() as anonymous:
        status = anonymous.get("/status")
        assert status.status_code == 200
        assert status.json() == {"service": True, "generation": True}
        assert anonymous.get("/ping").status_code == 200


# --- an LLM behind an OpenAI-compatible chat API --------------------------------------------

COMPLETION = "a cinematic photograph of two race cars on a wet track at dusk, motion blur"


class ChatServer:
    """A tiny OpenAI-compatible chat server: answers with COMPLETION, or 500 when told to."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        chat = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                chat.requests.append((self.path, dict(self.headers), body))
                if "please fail" in body["messages"][-1]["content"]:
                    self._send(500, {"error": {"message": "the model crashed"}})
                elif "answer nothing" in body["messages"][-1]["content"]:
                    self._send(200, {"choices": [{"message": {"content": "  "}}]})
                else:
                    message = {"role": "assistant", "content": f'"{COMPLETION}"'}
                    choice = {"index": 0, "message": message, "finish_reason": "stop"}
                    self._send(200, {"object": "chat.completion", "choices": [choice]})

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def chat() -> Iterator[ChatServer]:
    server = ChatServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def llm_server(tmp_path_factory: pytest.TempPathFactory, chat: ChatServer) -> Iterator[InProcess]:
    with in_process_app(
        tmp_path_factory.mktemp("llm") / "data",
        prompt_enhancer_url=chat.url,
        prompt_enhancer_model="llama3.2:3b",
        prompt_enhancer_api_key="sk-test",
        prices={"prompt_enhancement": 3, "color_optimization": 2},
    ) as app:
        yield app


def test_the_llm_enhances_and_is_asked_properly(llm_server: InProcess, chat: ChatServer) -> None:
    token, _ = llm_server.create_user(credits=100)
    with llm_server.http(token) as client:
        response = client.post(
            "/v1/prompts/enhance", params={"billing": "api"}, json={"prompt": "two race cars"}
        )
    assert response.status_code == 200, response.text
    assert response.json() == {"enhanced_prompt": COMPLETION, "credits": 3}
    assert llm_server.balance(token) == 97
    path, headers, body = chat.requests[-1]
    assert path == "/v1/chat/completions"
    assert headers["Authorization"] == "Bearer sk-test"
    assert body["model"] == "llama3.2:3b"
    system, user = body["messages"]
    assert system["role"] == "system" and "image" in system["content"]
    assert user == {"role": "user", "content": "two race cars"}


@pytest.mark.parametrize(
    ("prompt", "hint"), [("please fail", "HTTP 500"), ("answer nothing", "empty")]
)
def test_a_failing_llm_is_a_502_and_costs_nothing(
    llm_server: InProcess,
    chat: ChatServer,
    prompt: str,
    hint: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token, _ = llm_server.create_user(credits=100)
    with llm_server.http(token) as client:
        response = client.post("/v1/prompts/enhance", json={"prompt": prompt})
    assert response.status_code == 502, response.text
    error = error_of(response)
    assert error["code"] == "prompt_enhancer_failed"
    assert hint in str(error["message"])
    assert "sk-test" not in str(error["message"]) and "127.0.0.1" not in str(error["message"])
    assert llm_server.balance(token) == 100
    assert "the model crashed" in caplog.text or hint == "empty"  # the operator sees why


def test_an_unreachable_llm_is_a_502(tmp_path_factory: pytest.TempPathFactory) -> None:
    dead = ChatServer()
    url = dead.url
    dead.close()  # the port is now closed: connections are refused
    with in_process_app(
        tmp_path_factory.mktemp("dead-llm") / "data", prompt_enhancer_url=url
    ) as app:
        token, _ = app.create_user(credits=10)
        with app.http(token) as client:
            response = client.post("/v1/prompts/enhance", json={"prompt": "a cat"})
        assert response.status_code == 502, response.text
        assert "could not be reached" in str(error_of(response)["message"])
        assert app.balance(token) == 10


def test_price_overrides_are_charged_exactly(llm_server: InProcess) -> None:
    token, _ = llm_server.create_user(credits=10)
    with llm_server.http(token) as client:
        response = client.post(
            "/v1/colors/optimize",
            json={"colors": [{"hex": "#000"}, {"hex": "#010101"}], "num_colors_limit": 1},
        )
    assert response.status_code == 200, response.text
    assert response.json()["credits"] == 2
    assert len({m["to"] for m in response.json()["mapping"]}) == 1
    assert llm_server.balance(token) == 8
