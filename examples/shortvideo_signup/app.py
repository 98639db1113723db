"""A minimal sign-up and profile service of a global short-video app, integrated with domicile.

The service runs outside Russia (say Frankfurt). Its own database holds, per user, an id,
the subject id and home cell domicile returned, and tokens - never a name, e-mail address,
phone number or birth date. Every PD operation goes through the gateway:

* sign-up    -> ``POST /v1/subjects`` (PD lands in the user's home cell; tokens come back);
* profile    -> ``POST /v1/tokens/detokenize`` for display only, never stored; for a Russian
  user that is a cross-border transfer, allowed only under the RU pack's rules (152-FZ
  art. 12), otherwise the service answers 451 naming the rule;
* edit       -> ``PATCH /v1/subjects/{id}`` (the home cell first; tokens replaced if re-homed);
* find by e-mail -> ``POST /v1/search`` (blind index);
* delete account -> ``DELETE /v1/subjects/{id}`` (crypto-shredding).

Run it next to ``domicile serve --demo``::

    GATEWAY_URL=http://127.0.0.1:8787 GATEWAY_KEY=dmk_... uvicorn shortvideo_signup.app:main --factory
"""

from __future__ import annotations

import contextlib
import os
import uuid
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from domicile.client import DomicileClient, TransferRefusedError
from domicile.client.errors import ApiNotFoundError, BadRequestError

PROFILE_FIELDS = ("given_name", "family_name", "email", "phone", "birth_date")

metadata = sa.MetaData()
users = sa.Table(
    "users",
    metadata,
    sa.Column("user_id", sa.String(36), primary_key=True),
    sa.Column("subject_id", sa.String(36), nullable=False, unique=True),
    sa.Column("home_cell", sa.String(32), nullable=False),
    *(sa.Column(f"{f}_token", sa.String(200)) for f in PROFILE_FIELDS),
    sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
)


class SignUp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str | None = Field(default=None, max_length=100)
    email: str = Field(min_length=3, max_length=254)
    phone: str = Field(min_length=5, max_length=32)
    birth_date: str | None = None
    citizenship: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    residence: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")


class ProfileEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fields: dict[str, str] = Field(min_length=1)


def create_signup_app(gateway: DomicileClient, db_url: str) -> FastAPI:
    """The service over a gateway client and its own database (which never holds PD)."""
    engine = sa.create_engine(db_url)
    metadata.create_all(engine)
    app = FastAPI(title="short-video sign-up and profile (domicile example)")
    app.state.engine = engine

    def _row(user_id: str) -> dict[str, Any]:
        with engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.user_id == user_id)).first()
        if row is None:
            raise HTTPException(404, "no such user")
        return dict(row._mapping)

    @app.post("/signup", status_code=201)
    def signup(body: SignUp, idempotency_key: Annotated[str | None, Header()] = None) -> dict[str, str]:
        fields = {k: v for k, v in body.model_dump().items() if k in PROFILE_FIELDS and v is not None}
        signals: dict[str, object] = {"citizenship": [body.citizenship]} if body.citizenship else {}
        if body.residence:
            signals["residence"] = body.residence
        try:
            created = gateway.create_subject(
                fields, signals, purpose="registration", idempotency_key=idempotency_key
            )
        except BadRequestError as exc:
            raise HTTPException(422, exc.message) from None
        user_id = str(uuid.uuid4())
        row: dict[str, str | None] = {
            "user_id": user_id,
            "subject_id": created.subject_id,
            "home_cell": created.cell,
        }
        row.update({f"{f}_token": created.tokens.get(f) for f in PROFILE_FIELDS})
        with engine.begin() as conn:
            conn.execute(users.insert().values(**row))
        return {"user_id": user_id, "home_cell": created.cell}

    @app.get("/users/{user_id}/profile")
    def profile(user_id: str) -> dict[str, str]:
        """Detokenized for this response only; nothing is written back."""
        row = _row(user_id)
        tokens = {f: row[f"{f}_token"] for f in PROFILE_FIELDS if row[f"{f}_token"]}
        try:
            result = gateway.detokenize(list(tokens.values()), purpose="profile.view")
        except TransferRefusedError as exc:
            raise HTTPException(451, f"not available here: {exc.rule} ({exc.legal_source})") from None
        values = result.by_token()
        return {f: values[t] for f, t in tokens.items() if t in values}

    @app.patch("/users/{user_id}/profile")
    def edit(user_id: str, body: ProfileEdit) -> dict[str, Any]:
        row = _row(user_id)
        patched = gateway.patch_subject(row["subject_id"], body.fields, purpose="profile.update")
        if patched.moved:  # re-homed: the old tokens are dead, keep the new ones
            update = {f"{f}_token": patched.tokens.get(f) for f in PROFILE_FIELDS}
            with engine.begin() as conn:
                conn.execute(
                    users.update().where(users.c.user_id == user_id).values(home_cell=patched.cell, **update)
                )
        return {"user_id": user_id, "home_cell": patched.cell, "moved": patched.moved}

    @app.get("/users/lookup")
    def lookup(email: str) -> dict[str, str]:
        hits = gateway.search("email", email, purpose="account.recovery")
        subject_ids = [h.subject_id for h in hits]
        with engine.connect() as conn:
            row = conn.execute(sa.select(users.c.user_id).where(users.c.subject_id.in_(subject_ids))).first()
        if row is None:
            raise HTTPException(404, "no such user")
        return {"user_id": row[0]}

    @app.delete("/users/{user_id}")
    def delete(user_id: str) -> dict[str, str]:
        row = _row(user_id)
        with contextlib.suppress(ApiNotFoundError):  # already gone from the gateway's side
            gateway.erase_subject(row["subject_id"], reason="account-deleted")
        with engine.begin() as conn:
            conn.execute(users.delete().where(users.c.user_id == user_id))
        return {"user_id": user_id, "erased": "yes"}

    return app


def main() -> FastAPI:
    """uvicorn factory: GATEWAY_URL, GATEWAY_KEY and APP_DB from the environment."""
    gateway = DomicileClient(
        os.environ.get("GATEWAY_URL", "http://127.0.0.1:8787"), os.environ["GATEWAY_KEY"]
    )
    return create_signup_app(gateway, os.environ.get("APP_DB", "sqlite:///shortvideo-app.db"))
