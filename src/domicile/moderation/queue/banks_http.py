"""Hash-bank and match routes of the moderation API (added by :func:`.http.create_moderation_router`).

``GET /banks``, ``POST /banks``, ``POST /banks/{name}/disable|enable``, ``POST /banks/{name}/entries``
(a whole file in a ThreatExchange format, added in one transaction), ``GET /banks/{name}/export``,
``POST /match/image`` (the raw image bytes as the body, any content type) and ``POST /match/hash``.
Every match carries its evidence (bank, entry and content id, distance against the threshold,
quality, dihedral variant). Permissions come from :data:`.http.PERMISSIONS`: matching and listing
for services and reviewers, creating, toggling and importing for admins. Bad input is a 4xx with
the reason (unknown bank 404, malformed file or not an image 422).
"""

# No ``from __future__ import annotations``: FastAPI must see the dependency aliases as objects.
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from domicile.moderation.actions.errors import ModerationInputError
from domicile.moderation.hashing.manage import IMPORT_FORMATS, import_text, summarize
from domicile.moderation.queue.http import ModerationAction, ModerationCaller, _Body, _jsonable

__all__ = ["add_bank_routes"]

_IMAGE_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


class NewBankBody(_Body):
    """A bank to create."""

    name: str = Field(description="Letters, digits, '_', '.', '-' (at most 64)")
    signal_type: str = Field(description="pdq, md5, sha256 or vpdq")
    description: str = ""


class ImportBody(_Body):
    """A file of hashes to add to a bank (all entries or none)."""

    text: str = Field(description="The whole file")
    format: str = Field(default="tx-signals", description=", ".join(IMPORT_FORMATS))
    skip_other_types: bool = False
    content_id: str | None = Field(default=None, description="vpdq-frames: the video's content id")
    label: str | None = Field(default=None, description="vpdq-frames: its label")


class HashBody(_Body):
    """A hash computed elsewhere."""

    signal_type: str = Field(description="pdq, md5, sha256, vpdq (or a ThreatExchange name)")
    value: str
    quality: int | None = Field(default=None, ge=0, le=100, description="PDQ quality (below 50 not matched)")


def add_bank_routes(
    router: APIRouter,
    get_matcher: Callable[..., Any],
    authenticate: Callable[..., ModerationCaller],
    allow: Callable[[ModerationCaller, ModerationAction], str],
) -> None:
    """Add the bank and match routes to ``router`` (``get_matcher`` returns a ``HashMatcher``)."""
    Matcher = Annotated[Any, Depends(get_matcher)]  # noqa: N806 - a type alias
    Caller = Annotated[ModerationCaller, Depends(authenticate)]  # noqa: N806 - a type alias

    @router.get("/banks")
    def list_banks(matcher: Matcher, caller: Caller) -> Any:
        """Hash banks with their type, state and number of entries."""
        allow(caller, ModerationAction.BANKS_READ)
        return _jsonable(summarize(matcher.store))

    @router.post("/banks", status_code=201)
    def create_bank(body: NewBankBody, matcher: Matcher, caller: Caller) -> Any:
        """Create an empty, enabled bank."""
        allow(caller, ModerationAction.BANKS_MANAGE)
        return _jsonable(matcher.store.create_bank(body.name, body.signal_type, description=body.description))

    @router.post("/banks/{name}/disable")
    def disable_bank(name: str, matcher: Matcher, caller: Caller) -> Any:
        """Stop matching against a bank (entries are kept)."""
        allow(caller, ModerationAction.BANKS_MANAGE)
        return _jsonable(matcher.store.disable(name))

    @router.post("/banks/{name}/enable")
    def enable_bank(name: str, matcher: Matcher, caller: Caller) -> Any:
        """Match against a bank again."""
        allow(caller, ModerationAction.BANKS_MANAGE)
        return _jsonable(matcher.store.enable(name))

    @router.post("/banks/{name}/entries")
    def import_entries(name: str, body: ImportBody, matcher: Matcher, caller: Caller) -> Any:
        """Add a file of hashes in one transaction; the first bad line is a 422 and adds nothing."""
        allow(caller, ModerationAction.BANKS_MANAGE)
        added = import_text(
            matcher.store, name, body.text, body.format, skip_other_types=body.skip_other_types,
            content_id=body.content_id, label=body.label,
        )  # fmt: skip
        return {"bank": name, "added": len(added), "entries": matcher.store.count(name)}

    @router.get(
        "/banks/{name}/export",
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    def export_entries(
        name: str,
        matcher: Matcher,
        caller: Caller,
        fmt: str = Query("tx-signals", alias="format", description="tx-signals, tx-dataset-csv, csv or tsv"),
    ) -> PlainTextResponse:
        """Every entry of a bank in a ThreatExchange format (text)."""
        from domicile.moderation.hashing import BankFormat, BankFormatError, export_bank

        allow(caller, ModerationAction.BANKS_READ)
        if fmt not in {f.value for f in BankFormat}:
            raise BankFormatError(f"unknown export format {fmt[:40]!r}; one of {', '.join(BankFormat)}")
        return PlainTextResponse(export_bank(matcher.store, name, fmt))

    @router.post("/match/image", openapi_extra=_IMAGE_BODY)
    async def match_image(request: Request, matcher: Matcher, caller: Caller) -> Any:
        """Match an image sent as the raw request body: MD5, SHA-256 and PDQ with 8 dihedral variants."""
        allow(caller, ModerationAction.MATCH)
        data = await request.body()
        if not data:
            raise ModerationInputError("send the image bytes as the request body")
        return _jsonable(await run_in_threadpool(matcher.scan_image, data))

    @router.post("/match/hash")
    def match_hash(body: HashBody, matcher: Matcher, caller: Caller) -> Any:
        """Match a hash computed elsewhere."""
        from domicile.moderation.hashing import ComputedHash

        allow(caller, ModerationAction.MATCH)
        return _jsonable(matcher.match_signals([ComputedHash(body.signal_type, body.value, body.quality)]))
