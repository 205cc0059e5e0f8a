"""The prompt enhancers: the deterministic one's choices and limits, the chat one's answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from atelier.accounting.accounts import Accounts
from atelier.accounting.ledger import Ledger
from atelier.database import sqlite_url
from atelier.errors import InvalidRequest
from atelier.prompting import (
    MAX_PROMPT_CHARS,
    ChatEnhancer,
    PromptEnhancerFailed,
    PromptService,
    VocabularyEnhancer,
    check_prompt,
    clean_completion,
)
from tests.conftest import open_database

PROMPTS = [
    "two race cars on a track",
    "a red point siamese cat sleeping on a windowsill",
    "mountain lake at dawn",
    "logo for a coffee shop called Bean There",
    "pixel art castle",
    "A photo of an old fisherman, 35mm",
    "Ein Haus am See. 家 — 🏠",
]


@pytest.fixture(scope="module")
def enhancer() -> VocabularyEnhancer:
    return VocabularyEnhancer()


@pytest.mark.parametrize("prompt", PROMPTS)
def test_same_prompt_same_result_and_the_users_text_comes_first(
    enhancer: VocabularyEnhancer, prompt: str
) -> None:
    first = enhancer.enhance(prompt)
    assert first == enhancer.enhance(prompt)
    assert first == VocabularyEnhancer().enhance(prompt)  # nothing depends on the instance
    assert first.startswith(prompt.rstrip(",;"))
    assert len(first) > len(prompt) + 20


def test_different_prompts_get_different_phrases(enhancer: VocabularyEnhancer) -> None:
    added = {enhancer.enhance(p)[len(p) :] for p in (f"a cat number {i}" for i in range(20))}
    assert len(added) > 3


def test_styles_and_substyles_are_read_from_the_words(enhancer: VocabularyEnhancer) -> None:
    assert enhancer.analyse("pixel art castle").style == "digital_illustration"
    assert enhancer.analyse("pixel art castle").substyle == "pixel_art"
    assert enhancer.analyse("a line art fox").style == "vector_illustration"
    assert enhancer.analyse("A photo of an old fisherman").style == "realistic_image"
    assert enhancer.analyse("logo for a bakery").style == "logo_raster"
    assert enhancer.analyse("an app icon of a bell").style == "icon"
    assert enhancer.analyse("a thin man").style == "any"  # "thin" is English before a substyle
    assert enhancer.analyse("a fox in the forest").subject == "animal"
    assert enhancer.analyse("misty mountain lake").subject == "landscape"
    assert enhancer.analyse("an idea").subject == "general"


def test_style_words_come_from_the_diffusion_templates(enhancer: VocabularyEnhancer) -> None:
    photo = enhancer.enhance("a photo of an old fisherman")
    assert "photograph, realistic, natural detail, 35mm" in photo
    vector = enhancer.enhance("a vector fox")
    assert "flat vector illustration" in vector and "clean shapes" in vector
    # Flat styles get no lighting phrase; a prompt that already sets the light keeps its own.
    assert not any(word in vector for word in ("light,", "lighting"))
    lit = enhancer.enhance("a street at night under neon light")
    assert "golden-hour" not in lit and "daylight" not in lit


def test_phrases_the_prompt_already_has_are_not_repeated(enhancer: VocabularyEnhancer) -> None:
    result = enhancer.enhance("a photograph of a bridge, realistic, 35mm")
    assert result.count("35mm") == 1 and result.count("realistic") == 1


def test_the_result_stays_within_the_limit(enhancer: VocabularyEnhancer) -> None:
    long = ("word " * (MAX_PROMPT_CHARS // 5))[: MAX_PROMPT_CHARS - 30]
    result = enhancer.enhance(long)
    assert result.startswith(long.strip()) and len(result) <= MAX_PROMPT_CHARS
    full = "x" * MAX_PROMPT_CHARS
    assert enhancer.enhance(full) == full


def test_check_prompt() -> None:
    check_prompt("a cat")
    check_prompt("x" * MAX_PROMPT_CHARS)
    for bad in ("", "   \n", "x" * (MAX_PROMPT_CHARS + 1)):
        with pytest.raises(InvalidRequest) as info:
            check_prompt(bad)
        assert info.value.param == "prompt"


@pytest.mark.parametrize(
    ("answer", "prompt"),
    [
        ("  a cat on a mat, soft light \n", "a cat on a mat, soft light"),
        ('"a cat on a mat"', "a cat on a mat"),
        ("Enhanced prompt: a cat on a mat", "a cat on a mat"),
        ("<think>the user wants a cat</think>\na cat on a mat", "a cat on a mat"),
    ],
)
def test_chat_answers_are_cleaned(answer: str, prompt: str) -> None:
    assert clean_completion(answer) == prompt


def test_overlong_chat_answers_are_cut_at_a_word() -> None:
    text = clean_completion("word " * 5000)
    assert len(text) <= MAX_PROMPT_CHARS and text.endswith("word")


def test_an_unreachable_chat_server_is_a_502_error(tmp_path: Path) -> None:
    db = open_database(sqlite_url(tmp_path / "db.sqlite3"))
    user = Accounts(db).create_user("a@example.com", credits=10)
    # Port 9 (discard) on loopback: nothing listens there in a test environment.
    enhancer = ChatEnhancer("http://127.0.0.1:9/v1", "default", None, 2)
    service = PromptService(enhancer, Ledger(db), 1)
    with pytest.raises(PromptEnhancerFailed) as info:
        service.enhance(user.id, "a cat")
    assert info.value.status == 502 and "could not be reached" in info.value.message
    assert Accounts(db).by_id(user.id).credits == 10


def test_the_service_charges_once_per_enhancement(tmp_path: Path) -> None:
    db = open_database(sqlite_url(tmp_path / "db.sqlite3"))
    accounts = Accounts(db)
    user = accounts.create_user("a@example.com", credits=10)
    service = PromptService(VocabularyEnhancer(), Ledger(db), 3)
    result = service.enhance(user.id, "a cat")
    assert result.credits == 3 and result.prompt.startswith("a cat, ")
    with pytest.raises(InvalidRequest):
        service.enhance(user.id, " ")
    assert accounts.by_id(user.id).credits == 7


def test_the_enhancer_url_setting_must_be_http() -> None:
    from pydantic import ValidationError

    from atelier.config import Settings

    assert Settings(prompt_enhancer_url="").prompt_enhancer_url is None
    assert Settings(prompt_enhancer_url="http://localhost:11434/v1").prompt_enhancer_url
    with pytest.raises(ValidationError, match="http"):
        Settings(prompt_enhancer_url="localhost:11434")
