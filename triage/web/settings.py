"""What ``triage serve`` was started with, handed to each worker process through the environment.

Worker processes are started afresh by uvicorn (``spawn``), so they cannot share the parent's
objects: each reads these settings and loads the rule base itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

ENV_PREFIX = "TRIAGE_SERVE_"


@dataclass(frozen=True)
class Settings:
    """The server's options; ``None`` means the default (bundled rules, no region, no log)."""

    rules_dir: str | None = None
    region: str | None = None
    audit_log: str | None = None
    access_log: bool = True
    cors_origins: tuple[str, ...] = ()  # other sites' pages that may call the API, FHIR, CDS

    def to_env(self) -> dict[str, str]:
        """These settings as environment variables, for worker processes."""
        return {
            ENV_PREFIX + "RULES": self.rules_dir or "",
            ENV_PREFIX + "REGION": self.region or "",
            ENV_PREFIX + "AUDIT_LOG": self.audit_log or "",
            ENV_PREFIX + "ACCESS_LOG": "1" if self.access_log else "0",
            ENV_PREFIX + "CORS_ORIGINS": ",".join(self.cors_origins),
        }

    @classmethod
    def from_env(cls) -> Settings:
        """The settings ``to_env`` wrote (unset variables give the defaults)."""
        env = os.environ
        return cls(
            rules_dir=env.get(ENV_PREFIX + "RULES") or None,
            region=env.get(ENV_PREFIX + "REGION") or None,
            audit_log=env.get(ENV_PREFIX + "AUDIT_LOG") or None,
            access_log=env.get(ENV_PREFIX + "ACCESS_LOG", "1") != "0",
            cors_origins=tuple(x for x in env.get(ENV_PREFIX + "CORS_ORIGINS", "").split(",") if x),
        )
