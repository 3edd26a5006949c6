"""Result records for the server: built by the service API, audited as the CLI audits them.

``Triage.result`` builds every record, with the server's ``--region``: the same call
``triage batch`` makes, so the records are the same.
"""

from __future__ import annotations

import sys
import uuid
from typing import Any

from ..audit import AuditLog, decision_record
from ..cases import Case
from ..engine import Evaluation
from ..service import Triage


class Records:
    """Builds result records for one rule base and appends each decision to the audit log."""

    def __init__(self, triage: Triage, region: str | None, audit_log: str | None):
        self.triage = triage
        self.region = region
        self.log = AuditLog(audit_log).open() if audit_log else None

    def result(
        self,
        case: Case,
        asked: list[dict[str, str]] | None = None,
        evaluation: Evaluation | None = None,
        region: str | None = None,
    ) -> dict[str, Any]:
        """The result record of a valid case, as ``triage batch`` writes it (``evaluation``:
        its answers, already evaluated; ``region``: a request's own, else the server's)."""
        return self.triage.result(
            case, asked=asked, region=region or self.region, evaluation=evaluation
        )

    def audit(self, record: dict[str, Any], endpoint: str, decision_id: str | None = None) -> bool:
        """Append the decision to the audit log (if there is one), under its own
        ``decision_id`` (a new one if not given); False if it could not be written."""
        if self.log is None:
            return True
        extra = {"decision_id": decision_id or new_decision_id()}
        try:
            self.log.append(decision_record(record, command="serve", endpoint=endpoint, **extra))
        except OSError as exc:
            print(f"error: cannot write audit log {self.log.path}: {exc.strerror}", file=sys.stderr)
            return False
        return True

    def close(self) -> None:
        """Close the audit log."""
        if self.log is not None:
            self.log.close()


def new_decision_id() -> str:
    """A decision's own id: random (a UUID4's 122 random bits, as 32 hex digits, the form the
    audit log gives ids it makes itself), so it holds nothing about the person and no two
    decisions share one; the page shows it, the audit log records it."""
    return uuid.uuid4().hex
