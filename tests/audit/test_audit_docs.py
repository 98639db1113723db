"""docs/audit.md code runs, and the audit package exports exactly its public API."""

from __future__ import annotations

import re
from pathlib import Path

import domicile.audit

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def test_doc_python_blocks_run() -> None:
    """Every python block in docs/audit.md executes without error."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert blocks
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), {})


def test_all_lists_importable_public_names() -> None:
    """__all__ names exist, and every public class or function of the package is listed."""
    exported = set(domicile.audit.__all__)
    assert all(hasattr(domicile.audit, name) for name in exported)
    public = {n for n, v in vars(domicile.audit).items() if not n.startswith("_") and callable(v)}
    assert public <= exported
    for name in ("AuditEvent", "AuditRecord", "AuditHead", "AuditStore", "SqlAuditStore", "verify_chain"):
        assert name in exported
