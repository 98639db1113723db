"""Signal-type seam: registry, contract tests over every registered type, normalization."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domicile.core.errors import ConfigError, InputError, ModerationError, NotFoundError
from domicile.moderation import hashing
from domicile.moderation.hashing import (
    BUILTIN_SIGNAL_TYPES,
    DuplicateSignalTypeError,
    InvalidHashError,
    MatchResult,
    Md5Signal,
    PdqSignal,
    Sha256Signal,
    SignalType,
    SignalTypeRegistry,
    UnknownSignalTypeError,
    VpdqSignal,
    default_registry,
)
from domicile.moderation.hashing.signal_types import BytesHasher, FileHasher

REGISTRY = default_registry()
hex64 = st.binary(min_size=32, max_size=32).map(bytes.hex)


@pytest.mark.parametrize("signal_type", list(REGISTRY), ids=lambda t: t.NAME)
class TestSignalTypeContract:
    """Generic checks every registered signal type must pass (style rule 15)."""

    def test_examples_are_normalized(self, signal_type: type[SignalType]) -> None:
        """Every example is already in canonical form and normalization is idempotent."""
        examples = signal_type.examples()
        assert examples
        for example in examples:
            assert signal_type.normalize(example) == example
            assert signal_type.normalize(signal_type.normalize(example)) == example

    def test_example_matches_itself(self, signal_type: type[SignalType]) -> None:
        """Comparing an example with itself is a match at distance 0 with the type's name as evidence."""
        for example in signal_type.examples():
            result = signal_type.compare(example, example)
            assert result.match
            assert result.distance == 0
            assert result.signal_type == signal_type.NAME

    @pytest.mark.parametrize("bad", ["", "   ", "zz", "0" * 63, "g" * 64, "[1, 2]", "not a hash"])
    def test_garbage_is_rejected_with_typed_error(self, signal_type: type[SignalType], bad: str) -> None:
        """Malformed hash text raises InvalidHashError (an InputError), never a bare ValueError."""
        with pytest.raises(InvalidHashError) as info:
            signal_type.normalize(bad)
        assert isinstance(info.value, InputError)
        assert isinstance(info.value, ModerationError)

    def test_name_and_alias_resolve(self, signal_type: type[SignalType]) -> None:
        """Both our name and the ThreatExchange name look the type up."""
        assert REGISTRY.get(signal_type.NAME) is signal_type
        assert REGISTRY.get(signal_type.TX_NAME) is signal_type


def test_builtin_names() -> None:
    """The built-in registry holds pdq, md5, sha256 and vpdq with ThreatExchange aliases."""
    assert REGISTRY.names() == ("pdq", "md5", "sha256", "vpdq")
    assert len(REGISTRY) == len(BUILTIN_SIGNAL_TYPES)
    assert REGISTRY.get("video_md5") is Md5Signal
    assert REGISTRY.get("video_sha256") is Sha256Signal
    assert "video_md5" in REGISTRY
    assert "photo_md5" not in REGISTRY


def test_unknown_name_is_typed_not_found() -> None:
    """An unknown signal type name raises UnknownSignalTypeError (a NotFoundError)."""
    with pytest.raises(UnknownSignalTypeError) as info:
        REGISTRY.get("tmk")
    assert isinstance(info.value, NotFoundError)
    assert "pdq" in str(info.value)


def test_duplicate_name_raises() -> None:
    """Registering a second type under a taken name raises DuplicateSignalTypeError."""

    class OtherPdq(PdqSignal):
        TX_NAME: ClassVar[str] = "other_pdq"

    registry = SignalTypeRegistry([PdqSignal])
    with pytest.raises(DuplicateSignalTypeError) as info:
        registry.register(OtherPdq)
    assert isinstance(info.value, ConfigError)
    assert registry.get("pdq") is PdqSignal


def test_duplicate_alias_raises() -> None:
    """A new type whose ThreatExchange alias collides with a registered one is refused."""

    class VideoMd5Clone(Md5Signal):
        NAME: ClassVar[str] = "md5_clone"

    registry = SignalTypeRegistry([Md5Signal])
    with pytest.raises(DuplicateSignalTypeError):
        registry.register(VideoMd5Clone)
    assert "md5_clone" not in registry


def test_malformed_name_raises() -> None:
    """A type whose NAME is not lower_snake_case cannot be registered."""

    class Bad(Md5Signal):
        NAME: ClassVar[str] = "Bad Name"
        TX_NAME: ClassVar[str] = "bad_name"

    with pytest.raises(DuplicateSignalTypeError):
        SignalTypeRegistry([Bad])


def test_registries_are_independent() -> None:
    """default_registry() returns a fresh registry each time (no global state)."""
    first = default_registry()

    class Extra(Md5Signal):
        NAME: ClassVar[str] = "extra_md5"
        TX_NAME: ClassVar[str] = "extra_md5"

    first.register(Extra)
    assert "extra_md5" in first
    assert "extra_md5" not in default_registry()


@given(hex64)
def test_pdq_normalize_case_and_space(value: str) -> None:
    """PDQ normalization lower-cases, strips and is idempotent."""
    messy = f"  {value.upper()}\n"
    assert PdqSignal.normalize(messy) == value
    assert PdqSignal.normalize(PdqSignal.normalize(messy)) == value


@given(hex64, hex64)
def test_pdq_compare_is_hamming(a: str, b: str) -> None:
    """PDQ compare reports the Hamming distance, symmetric, and matches iff <= 31 (PDQ reference)."""
    expected = bin(int(a, 16) ^ int(b, 16)).count("1")
    result = PdqSignal.compare(a, b)
    assert result == MatchResult("pdq", expected <= 31, expected, 31)
    assert PdqSignal.compare(b, a) == result
    assert PdqSignal.compare(a, b, threshold=expected).match


@given(st.binary(max_size=256), st.binary(max_size=256))
def test_exact_types_compare_by_equality(a: bytes, b: bytes) -> None:
    """md5/sha256 match only identical content; distance is 0 or 1 and the threshold 0."""
    for signal_type in (Md5Signal, Sha256Signal):
        ha = signal_type.hash_bytes(a).value
        hb = signal_type.hash_bytes(b).value
        result = signal_type.compare(ha, hb.upper())
        assert result.match == (a == b)
        assert result.distance == (0 if a == b else 1)
        assert result.threshold == 0


def test_exact_digests_equal_hashlib(tmp_path: Path) -> None:
    """hash_bytes and the streaming hash_file agree with hashlib."""
    data = b"domicile" * 300_000  # > 1 MiB: several read chunks
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    assert Md5Signal.hash_bytes(data).value == hashlib.md5(data).hexdigest()
    assert Md5Signal.hash_file(path).value == hashlib.md5(data).hexdigest()
    assert Sha256Signal.hash_file(path).value == hashlib.sha256(data).hexdigest()
    assert Sha256Signal.hash_file(path).quality is None


def test_abilities_are_mixins() -> None:
    """Hashing abilities are declared by mixins: exact types and PDQ hash bytes, vPDQ files only."""
    assert issubclass(Md5Signal, BytesHasher) and issubclass(Md5Signal, FileHasher)
    assert issubclass(PdqSignal, BytesHasher)
    assert issubclass(VpdqSignal, FileHasher) and not issubclass(VpdqSignal, BytesHasher)


def test_invalid_hash_message_has_no_value() -> None:
    """Error messages name the type and length but never echo the offending value."""
    secret = "user-42-passport-4510123456"
    with pytest.raises(InvalidHashError) as info:
        PdqSignal.normalize(secret)
    assert secret not in str(info.value)
    assert "pdq" in str(info.value)


def test_public_api_resolves_without_optional_imports() -> None:
    """Every name in __all__ resolves, and importing the package alone loads no optional extra."""
    for name in hashing.__all__:
        assert getattr(hashing, name) is not None, name
    code = (
        "import sys, domicile.moderation.hashing as h; "
        "print(sorted(m for m in ('numpy', 'PIL', 'pdqhash', 'faiss', 'vpdq') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
