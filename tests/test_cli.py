"""The admin CLI: JSON on stdout, errors on stderr with a non-zero exit, usable while serving."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.conftest import Server, run_cli


def ok(result: object) -> dict[str, object]:
    assert result.returncode == 0, result.stderr  # type: ignore[attr-defined]
    return dict(json.loads(result.stdout))  # type: ignore[attr-defined]


def test_user_lifecycle_while_the_server_runs(server: Server) -> None:
    created = ok(
        run_cli(server.data_dir, "users", "create", "--email", "ada@example.com", "--name", "Ada",
                "--credits", "500")
    )  # fmt: skip
    assert set(created) == {"id", "email", "name", "credits", "token"}
    assert (created["email"], created["name"], created["credits"]) == (
        "ada@example.com",
        "Ada",
        500,
    )
    token = str(created["token"])
    assert server.balance(token) == 500

    assert ok(run_cli(server.data_dir, "credits", "add", "--email", "ada@example.com",
                      "--amount", "250")) == {"credits": 750}  # fmt: skip
    assert server.balance(token) == 750

    second = str(
        ok(run_cli(server.data_dir, "tokens", "create", "--email", "ada@example.com"))["token"]
    )
    assert second != token and server.balance(second) == 750

    ok(run_cli(server.data_dir, "tokens", "revoke", "--token", token))
    assert server.http(token).get("/v1/users/me").status_code == 401
    assert server.balance(second) == 750


def test_errors_go_to_stderr_with_a_non_zero_exit(tmp_path: Path) -> None:
    ok(run_cli(tmp_path, "users", "create", "--email", "bob@example.com"))
    cases = [
        ("users", "create", "--email", "bob@example.com"),
        ("users", "create", "--email", "not-an-email"),
        ("tokens", "create", "--email", "nobody@example.com"),
        ("tokens", "revoke", "--token", "atl_nope"),
        ("credits", "add", "--email", "bob@example.com", "--amount", "0"),
        ("credits", "add", "--email", "nobody@example.com", "--amount", "5"),
    ]
    # Each is a process start (about a second of imports), none writes: at once, not in turn.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(cases)) as pool:
        results = list(pool.map(lambda args: run_cli(tmp_path, *args), cases))
    for args, result in zip(cases, results, strict=True):
        assert result.returncode != 0, args
        assert result.stdout == ""
        error = json.loads(result.stderr)
        assert error["code"] and error["message"], args


def test_data_dir_from_the_environment(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "atelier", "users", "create", "--email", "env@example.com"],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "ATELIER_DATA_DIR": str(tmp_path / "env")},
    )  # fmt: skip
    ok(result)
    assert (tmp_path / "env" / "atelier.sqlite3").is_file()


def test_first_start_creates_the_local_user_and_prints_its_token(server: Server) -> None:
    token = (server.data_dir / "local_token.txt").read_text().strip()
    assert token in server.log
    me = server.http(token).get("/v1/users/me").json()
    assert me["email"] == "local@atelier.localhost" and me["credits"] >= 1_000_000


def test_tokens_are_stored_hashed(tmp_path: Path) -> None:
    import hashlib
    import sqlite3

    token = str(ok(run_cli(tmp_path, "users", "create", "--email", "h@example.com"))["token"])
    database = (tmp_path / "atelier.sqlite3").read_bytes()
    wal = tmp_path / "atelier.sqlite3-wal"
    everything = database + (wal.read_bytes() if wal.exists() else b"")
    assert token.encode() not in everything
    hashes = [
        row[0]
        for row in sqlite3.connect(tmp_path / "atelier.sqlite3").execute("SELECT hash FROM tokens")
    ]
    assert hashes == [hashlib.sha256(token.encode()).hexdigest()]


def test_bad_settings_stop_serve_with_invalid_settings(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    cases = [
        ({"ATELIER_MATTING_PRESET": "bogus"}, "matting_preset"),
        ({"ATELIER_IMAGE_FETCH_ALLOWED_HOSTS": '["a b"]'}, "allowed host 'a b'"),
        ({"ATELIER_ENGINE": "nowhere:Engine"}, "cannot import nowhere"),
        # A negative price would pay users for each request.
        ({"ATELIER_PRICES": '{"raster_generation_v3": -40}'}, "greater than or equal to 0"),
        ({"ATELIER_TOOL_WORKERS": "0"}, "tool_workers"),
    ]
    from concurrent.futures import ThreadPoolExecutor

    def serve(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "atelier", "serve", "--data-dir", str(tmp_path), "--port", "9"],
            capture_output=True, text=True, timeout=60, env={**os.environ, **env},
        )  # fmt: skip

    # Each refusal is its own process start (about a second of imports): at once, not in turn.
    with ThreadPoolExecutor(len(cases)) as pool:
        results = list(pool.map(serve, [env for env, _ in cases]))
    for (_, hint), result in zip(cases, results, strict=True):
        assert result.returncode == 1, result.stderr
        error = json.loads(result.stderr.strip().splitlines()[-1])
        assert error["code"] == "invalid_settings" and hint in error["message"], error


def test_images_kept_with_expire_false_are_deleted_by_the_cli(server: Server) -> None:
    token = server.create_user()[0]
    with server.http(token) as http:
        result = http.post("/v1/images/generations", json={"prompt": "x", "expire": False}).json()
    image = result["data"][0]
    assert httpx.get(image["url"]).status_code == 200
    assert ok(run_cli(server.data_dir, "images", "delete", "--id", image["image_id"])) == {
        "deleted": image["image_id"]
    }
    assert httpx.get(image["url"]).status_code == 404
    again = run_cli(server.data_dir, "images", "delete", "--id", image["image_id"])
    assert again.returncode == 1 and json.loads(again.stderr)["code"] == "not_found"


def test_the_preview_server_imports_no_diffusion_stack() -> None:
    """torch and diffusers take seconds to import: only the diffusers engine may load them."""
    import subprocess
    import sys

    code = "import sys, atelier.app, atelier.cli; print(sorted({'torch', 'diffusers'} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_serve_with_two_worker_processes(tmp_path: Path) -> None:
    import os
    from concurrent.futures import ThreadPoolExecutor

    from tests.conftest import free_port

    server = Server(tmp_path / "data", free_port(), {"ATELIER_WORKERS": "2"})
    server.start()
    try:
        assert server.process is not None
        children = [
            pid for pid in os.listdir("/proc")
            if pid.isdigit() and _parent(pid) == server.process.pid
        ]  # fmt: skip
        assert len(children) >= 2  # uvicorn's worker processes under the supervisor
        token = server.create_user(credits=10_000)[0]

        def generate(_: int) -> int:
            with server.http(token) as http:
                return http.post("/v1/images/generations", json={"prompt": "x"}).status_code

        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(generate, range(16))) == [200] * 16
        assert server.balance(token) == 10_000 - 16 * 40  # every worker charged exactly
    finally:
        server.stop()


def _parent(pid: str) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # the process is gone
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])
