"""The recognizer registry: one place, unique names, entry point plugins."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, ClassVar

import pytest

from domicile.core.errors import LocalizationError
from domicile.recognizers import registry as registry_mod
from domicile.recognizers.base import Example, Pattern, Recognizer
from domicile.recognizers.errors import (
    DuplicateRecognizerError,
    RecognizerError,
    RecognizerPluginError,
    UnknownRecognizerError,
)
from domicile.recognizers.registry import BUILTIN_PACKS, RecognizerRegistry, load_plugins
from domicile.recognizers.ru import InnRecognizer


class KzIinRecognizer(Recognizer):
    """A toy third-party recognizer (Kazakh IIN shape only)."""

    NAME = "kz_iin"
    COUNTRY_CODE = "KZ"
    CATEGORY = "inn"
    PATTERNS: ClassVar[tuple[Pattern, ...]] = (Pattern("iin", r"(?<!\d)\d{12}(?!\d)", 0.4),)
    CONTEXT: ClassVar[tuple[str, ...]] = ("iin", "иин")

    def validate(self, candidate: str) -> bool | None:
        return None

    @classmethod
    def examples(cls) -> tuple[Example, ...]:
        return (Example("900101300123", True), Example("12345", False))


class FakeEntryPoint:
    def __init__(self, name: str, load: Callable[[], Any]) -> None:
        self.name = name
        self.load = load


def patch_entry_points(monkeypatch: pytest.MonkeyPatch, eps: list[FakeEntryPoint]) -> None:
    def fake(group: str) -> list[FakeEntryPoint]:
        assert group == "domicile.recognizers"
        return eps

    monkeypatch.setattr(registry_mod, "entry_points", fake)


def test_default_has_every_builtin_once() -> None:
    """The default registry holds every class of every built-in pack, names unique."""
    reg = RecognizerRegistry.default(today=date(2025, 1, 1))
    expected = {cls.NAME for pack in BUILTIN_PACKS.values() for cls in pack}
    assert set(reg.names()) == expected and len(reg) == len(expected)
    assert "ru_passport" in reg.categories() and "payment_card" in reg.categories()


def test_country_selection() -> None:
    """Selecting the generic pack leaves the RU identifiers out."""
    reg = RecognizerRegistry.default(["*"])
    assert {r.COUNTRY_CODE for r in reg} == {"*"}
    with pytest.raises(UnknownRecognizerError):
        reg.get("snils")


def test_unknown_country_is_typed_error() -> None:
    """An unknown pack code raises UnknownRecognizerError naming it."""
    with pytest.raises(UnknownRecognizerError, match="XX"):
        RecognizerRegistry.default(["RU", "XX"])


def test_duplicate_names_raise_typed_error() -> None:
    """Two recognizers with one NAME raise DuplicateRecognizerError (a LocalizationError)."""
    with pytest.raises(DuplicateRecognizerError, match="'inn'") as info:
        RecognizerRegistry([InnRecognizer(), InnRecognizer()])
    assert isinstance(info.value, LocalizationError)


def test_non_recognizer_rejected() -> None:
    """Registering something that is not a Recognizer is a typed error."""
    with pytest.raises(RecognizerError):
        RecognizerRegistry([object()])  # type: ignore[list-item]


def test_plugins_loaded_from_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    """A class or a manifest tuple from the entry point group is added to the registry."""
    patch_entry_points(
        monkeypatch, [FakeEntryPoint("kz", lambda: KzIinRecognizer), FakeEntryPoint("kz2", lambda: ())]
    )
    assert load_plugins() == (KzIinRecognizer,)
    reg = RecognizerRegistry.default(plugins=True)
    assert reg.get("kz_iin").COUNTRY_CODE == "KZ"
    assert "kz_iin" not in RecognizerRegistry.default().names()


def test_plugin_name_clash_is_duplicate(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plugin reusing a built-in NAME is refused with DuplicateRecognizerError."""

    class Clash(KzIinRecognizer):
        NAME = "inn"

    patch_entry_points(monkeypatch, [FakeEntryPoint("clash", lambda: (Clash,))])
    with pytest.raises(DuplicateRecognizerError):
        RecognizerRegistry.default(plugins=True)


@pytest.mark.parametrize(
    "loaded",
    [lambda: 42, lambda: Recognizer, lambda: (KzIinRecognizer, str)],
    ids=["not-a-class", "abstract-base", "manifest-with-junk"],
)
def test_bad_plugin_objects_rejected(monkeypatch: pytest.MonkeyPatch, loaded: Callable[[], Any]) -> None:
    """Entry points giving non-recognizers raise RecognizerPluginError naming the entry point."""
    patch_entry_points(monkeypatch, [FakeEntryPoint("bad", loaded)])
    with pytest.raises(RecognizerPluginError, match="'bad'"):
        load_plugins()


def test_plugin_import_failure_wrapped(monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry point whose import fails is reported as RecognizerPluginError, cause chained."""

    def boom() -> Any:
        raise ImportError("missing dependency")

    patch_entry_points(monkeypatch, [FakeEntryPoint("broken", boom)])
    with pytest.raises(RecognizerPluginError, match="'broken'") as info:
        load_plugins()
    assert isinstance(info.value.__cause__, ImportError)


def test_plugin_missing_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    """A subclass without CATEGORY is refused at load time."""

    class NoCategory(KzIinRecognizer):
        CATEGORY = ""

    patch_entry_points(monkeypatch, [FakeEntryPoint("nocat", lambda: NoCategory)])
    with pytest.raises(RecognizerPluginError, match="CATEGORY"):
        load_plugins()
