"""Users and their API tokens (stored as SHA-256 hashes, never in the clear)."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from atelier.database import Database
from atelier.errors import Conflict, InvalidRequest, Unauthorized, UserNotFound

TOKEN_PREFIX = "atl_"


@dataclass(frozen=True)
class User:
    id: str
    email: str
    name: str | None
    credits: int

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "credits": self.credits, "email": self.email, "name": self.name}


def _hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a plain hash is enough; no salt or slow KDF needed.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _user(row: RowMapping) -> User:
    return User(id=row["id"], email=row["email"], name=row["name"], credits=row["credits"])


class Accounts:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create_user(self, email: str, name: str | None = None, credits: int = 0) -> User:
        if "@" not in email:
            raise InvalidRequest(f"{email!r} is not an e-mail address", param="email")
        if credits < 0:
            raise InvalidRequest("credits must be zero or more", param="credits")
        user_id = str(uuid.uuid4())
        try:
            with self.db.transaction() as tx:
                tx.execute(
                    "INSERT INTO users (id, email, name, credits, created) "
                    "VALUES (:id, :email, :name, :credits, :now)",
                    {"id": user_id, "email": email, "name": name, "credits": credits,
                     "now": time.time()},
                )  # fmt: skip
        except sa.exc.IntegrityError:
            raise Conflict(f"a user with e-mail {email} already exists", param="email") from None
        return User(user_id, email, name, credits)

    def by_email(self, email: str) -> User:
        row = self.db.query_one("SELECT * FROM users WHERE email = :email", {"email": email})
        if row is None:
            raise UserNotFound(f"no user with e-mail {email}", param="email")
        return _user(row)

    def by_id(self, user_id: str) -> User:
        row = self.db.query_one("SELECT * FROM users WHERE id = :id", {"id": user_id})
        if row is None:
            raise UserNotFound(f"no user with id {user_id}")
        return _user(row)

    def create_token(self, user_id: str) -> str:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO tokens (hash, user_id, created) VALUES (:hash, :user_id, :now)",
                {"hash": _hash_token(token), "user_id": user_id, "now": time.time()},
            )
        return token

    def revoke_token(self, token: str) -> None:
        with self.db.transaction() as tx:
            revoked = tx.execute(
                "UPDATE tokens SET revoked = :now WHERE hash = :hash AND revoked IS NULL",
                {"now": time.time(), "hash": _hash_token(token)},
            )
        if not revoked:
            raise UserNotFound("no active token matches", param="token")

    def authenticate(self, token: str) -> User:
        row = self.db.query_one(
            "SELECT users.* FROM tokens JOIN users ON users.id = tokens.user_id "
            "WHERE tokens.hash = :hash AND tokens.revoked IS NULL",
            {"hash": _hash_token(token)},
        )
        if row is None:
            raise Unauthorized("the API token is unknown or revoked")
        return _user(row)
