"""Key sources: the local key file and the KMS interface (SEC-1)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domicile.core.errors import DecryptionError, KeySourceError
from domicile.testing import FakeKms, fake_kms_provider
from domicile.vault.keys import KeyPurpose, KmsKeyProvider, LocalKeyFileProvider


def test_key_file_is_private_and_versioned(tmp_path: Path) -> None:
    """The key file is 0600; rotation adds a version and keeps the old ones."""
    path = tmp_path / "k.json"
    kp = LocalKeyFileProvider.create("ru-msk-1", path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    wrapped = kp.wrap(1, b"k" * 32, b"aad")
    assert kp.add_version() == 2 and kp.versions() == [1, 2] and kp.current_version() == 2
    reopened = LocalKeyFileProvider("ru-msk-1", path)
    assert reopened.unwrap(1, wrapped, b"aad") == b"k" * 32
    assert reopened.secret(1, KeyPurpose.BLIND_INDEX) != reopened.secret(2, KeyPurpose.BLIND_INDEX)
    assert reopened.secret(1, KeyPurpose.BLIND_INDEX) != reopened.secret(1, KeyPurpose.TOKEN)
    with pytest.raises(KeySourceError):
        LocalKeyFileProvider.create("ru-msk-1", path)


@pytest.mark.parametrize(
    "body",
    [
        "{",
        '{"cell": "ru-msk-1"}',
        '{"cell": "ru-msk-1", "current": 1, "versions": {"1": {"created": "x", "secret": "c2hvcnQ="}}}',
    ],
)
def test_malformed_key_file(tmp_path: Path, body: str) -> None:
    """A malformed key file is a KeySourceError that does not print key material."""
    path = tmp_path / "k.json"
    path.write_text(body)
    with pytest.raises(KeySourceError) as err:
        LocalKeyFileProvider("ru-msk-1", path)
    assert "c2hvcnQ" not in str(err.value)


@settings(max_examples=30, deadline=None)
@given(dek=st.binary(min_size=32, max_size=32), aad=st.binary(max_size=64))
def test_kms_provider_wraps_round_trip(dek: bytes, aad: bytes) -> None:
    """Through the KMS interface a data key unwraps to itself; other AAD or key fails."""
    kms = FakeKms()
    kp = fake_kms_provider("ru-msk-1", kms)
    wrapped = kp.wrap(1, dek, aad)
    assert kp.unwrap(1, wrapped, aad) == dek
    with pytest.raises(DecryptionError):
        kp.unwrap(1, wrapped, aad + b"x")
    other = KmsKeyProvider("ru-msk-1", kms, {1: kp.key_ids[1], 2: kms.create_key()})
    with pytest.raises(DecryptionError):
        other.unwrap(2, wrapped, aad)


def test_kms_rotation_needs_the_key_id_in_the_cells_file() -> None:
    """add_version on a KMS cell is refused with instructions (no in-memory-only key ids)."""
    kp = fake_kms_provider("ru-msk-1")
    with pytest.raises(KeySourceError) as err:
        kp.add_version()
    assert "--resume" in str(err.value) and kp.versions() == [1]


def test_other_process_sees_a_new_version(tmp_path: Path) -> None:
    """A provider reloads the key file when another process added a version (online rotation)."""
    path = tmp_path / "k.json"
    a = LocalKeyFileProvider.create("ru-msk-1", path)
    b = LocalKeyFileProvider("ru-msk-1", path)
    a.add_version()
    assert b.current_version() == 2
    wrapped = a.wrap(2, b"d" * 32, b"x")
    assert b.unwrap(2, wrapped, b"x") == b"d" * 32


def test_kms_never_hands_out_the_kek() -> None:
    """HMAC secrets come from the KMS's MAC, derived once per version and purpose."""
    kms = FakeKms()
    kp = fake_kms_provider("ru-msk-1", kms)
    a = kp.secret(1, KeyPurpose.BLIND_INDEX)
    b = kp.secret(1, KeyPurpose.BLIND_INDEX)
    assert a == b and len(a) == 32 and kms.calls["mac"] == 1
    assert json.dumps(kp.key_ids)  # only ids, serializable into the cells file
