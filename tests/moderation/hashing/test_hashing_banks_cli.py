"""``domicile moderation bank|match ...``: banks in the data folder, matches with evidence, exit codes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from domicile.app import init_data_dir
from domicile.cli.app import main
from domicile.settings import DomicileSettings

PDQ_DIR = Path(__file__).resolve().parents[3] / ".." / "shared" / "fixtures" / "pdq"
BRIDGE = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def d(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """``--data-dir`` of a folder made by ``domicile init`` (which also creates the moderation tables)."""
    folder = str(tmp_path / "data")
    assert _run(capsys, "init", "--data-dir", folder)[0] == 0
    return ("--data-dir", folder)


def test_bank_lifecycle_and_image_match_with_evidence(
    d: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """create -> import -> list -> match (rotated copy via dihedral PDQ) -> disable -> export round trip."""
    assert (
        _run(capsys, "moderation", "bank", "create", "bridge", "--type", "pdq", "--description", "test", *d)[
            0
        ]
        == 0
    )
    hashes = tmp_path / "bank.csv"
    hashes.write_text(f"hash,label,content_id\n{BRIDGE},C-TEST,ref-1\n", "utf-8")
    code, out, _ = _run(
        capsys, "moderation", "bank", "import", "bridge", str(hashes), "--format", "csv", "--json", *d
    )
    assert code == 0 and json.loads(out) == {"bank": "bridge", "added": 1, "entries": 1}
    code, out, _ = _run(  # the same file again: nothing new
        capsys, "moderation", "bank", "import", "bridge", str(hashes), "--format", "csv", "--json", *d
    )
    assert code == 0 and json.loads(out) == {"bank": "bridge", "added": 0, "entries": 1}
    code, out, _ = _run(capsys, "moderation", "bank", "list", "--json", *d)
    assert [(s["bank"]["name"], s["entries"]) for s in json.loads(out)] == [("bridge", 1)]
    code, out, _ = _run(
        capsys, "moderation", "match", "image", str(PDQ_DIR / "dih" / "bridge-2-rotate-90.jpg"), *d
    )
    assert code == 0 and "bank bridge, entry 1" in out and "content ref-1" in out and "variant rotate" in out
    code, out, _ = _run(capsys, "moderation", "match", "hash", "pdq", BRIDGE, "--json", *d)
    (hit,) = json.loads(out)["matches"]
    assert (hit["bank"], hit["entry_id"], hit["result"]["distance"], hit["label"]) == (
        "bridge",
        1,
        0,
        "C-TEST",
    )
    code, out, _ = _run(capsys, "moderation", "match", "image", str(PDQ_DIR / "misc" / "small.jpg"), *d)
    assert code == 0 and "low_quality" in out
    assert _run(capsys, "moderation", "bank", "disable", "bridge", *d)[0] == 0
    code, out, _ = _run(capsys, "moderation", "match", "hash", "pdq", BRIDGE, *d)
    assert out.startswith("0 match")
    assert _run(capsys, "moderation", "bank", "enable", "bridge", *d)[0] == 0
    target = tmp_path / "out.txt"
    assert _run(capsys, "moderation", "bank", "export", "bridge", str(target), *d)[0] == 0
    assert target.read_text("utf-8") == f"pdq {BRIDGE}\n"
    code, out, _ = _run(capsys, "moderation", "bank", "remove-entries", "bridge", "1", "99", "--json", *d)
    assert json.loads(out)["removed"] == 1


def test_md5_bank_and_video_match(
    d: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An md5 bank matches a file by its exact digest through `match video` (no vPDQ bank needed)."""
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"fictitious video bytes")
    assert _run(capsys, "moderation", "bank", "create", "md5s", "--type", "md5", *d)[0] == 0
    listing = tmp_path / "md5.txt"
    listing.write_text(f"video_md5 {hashlib.md5(video.read_bytes()).hexdigest()}\n", "utf-8")
    assert _run(capsys, "moderation", "bank", "import", "md5s", str(listing), *d)[0] == 0
    code, out, _ = _run(capsys, "moderation", "match", "video", str(video), "--json", *d)
    assert code == 0 and [m["bank"] for m in json.loads(out)["matches"]] == ["md5s"]


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (("bank", "import", "nope", "FILE"), 4, "no hash bank named 'nope'"),
        (("bank", "import", "p", "FILE", "--format", "xml"), 3, "unknown bank format"),
        (("bank", "import", "p", "BAD"), 3, "line 2"),
        (("bank", "import", "p", "LATIN1"), 3, "not UTF-8"),
        (("bank", "import", "p", "MISSING"), 3, "cannot read"),
        (("bank", "create", "p", "--type", "photodna"), 4, "photodna"),
        (("bank", "create", "p", "--type", "pdq"), 3, "already exists"),
        (("match", "image", "FILE"), 3, "cannot decode image"),
        (("match", "hash", "pdq", "xyz"), 3, "pdq"),
        (("bank", "export", "p", "--format", "xml"), 3, "unknown export format"),
    ],
)
def test_bad_input_is_one_line_and_imports_nothing(
    d: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], code: int,
    needle: str,
) -> None:  # fmt: skip
    """Unknown bank, malformed or non-UTF-8 file, not an image: one stderr line, its exit code, no entries."""
    assert _run(capsys, "moderation", "bank", "create", "p", "--type", "pdq", *d)[0] == 0
    files = {
        "FILE": tmp_path / "ok.txt",
        "BAD": tmp_path / "bad.txt",
        "LATIN1": tmp_path / "latin1.txt",
        "MISSING": tmp_path / "missing.txt",
    }
    files["FILE"].write_text(f"pdq {BRIDGE}\n", "utf-8")
    files["BAD"].write_text(f"pdq {BRIDGE}\npdq 1234\n", "utf-8")
    files["LATIN1"].write_bytes(f"pdq {BRIDGE}\n# caf\xe9\n".encode("latin-1"))
    argv = [str(files[a]) if a in files else a for a in args]
    got, _, err = _run(capsys, "moderation", *argv, *d)
    assert got == code and needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    listing = json.loads(_run(capsys, "moderation", "bank", "list", "--json", *d)[1])
    assert [s["entries"] for s in listing] == [0]


def test_banks_need_the_moderation_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A data folder from before the moderation tables: exit 9 naming `moderation init`, then it works."""
    folder = tmp_path / "old"
    init_data_dir(DomicileSettings(data_dir=folder))  # cells only, as older versions did
    d = ("--data-dir", str(folder))
    code, _, err = _run(capsys, "moderation", "bank", "list", *d)
    assert code == 9 and "moderation init" in err
    assert _run(capsys, "moderation", "init", *d)[0] == 0
    assert _run(capsys, "moderation", "bank", "list", *d)[1].strip() == "no hash banks"
