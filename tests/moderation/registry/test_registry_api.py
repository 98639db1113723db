"""The public API of domicile.moderation.registry is explicit, importable and documented."""

from __future__ import annotations

import inspect

from domicile.moderation import registry


def test_all_names_exist_and_are_documented() -> None:
    """Every name in __all__ is exported, unique, and (for classes and functions) has a docstring."""
    names = registry.__all__
    assert len(names) == len(set(names))
    for name in names:
        obj = getattr(registry, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert inspect.getdoc(obj), name


def test_public_classes_are_listed() -> None:
    """Every public class or function defined in the package's modules is reachable from __all__."""
    exported = {getattr(registry, n) for n in registry.__all__}
    for module_name in ("model", "matcher", "holder", "diff", "links", "selfcheck", "xml_dump", "csv_dump"):
        module = getattr(registry, module_name)
        for name in getattr(module, "__all__", ()):
            assert getattr(module, name) in exported, f"{module_name}.{name}"
