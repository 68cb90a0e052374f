"""Models, one module per area; import them from here."""

from .imports import ImportBatch
from .ops import WorkerHeartbeat
from .registry import Domain, Group, Membership, Organisation, RegistryPeriod
from .scans import (
    ReportSubscription,
    ResultVersion,
    RunReport,
    RunResult,
    ScanChunk,
    ScanRun,
)

__all__ = [
    "Domain",
    "Group",
    "ImportBatch",
    "Membership",
    "Organisation",
    "RegistryPeriod",
    "ReportSubscription",
    "ResultVersion",
    "RunReport",
    "RunResult",
    "ScanChunk",
    "ScanRun",
    "WorkerHeartbeat",
]
from .reference import ReferencePoint, ReferenceSeries  # noqa: E402

__all__ += ["ReferencePoint", "ReferenceSeries"]
from .tallies import RunTally, TalliedRun  # noqa: E402

__all__ += ["RunTally", "TalliedRun"]
from .tallies import SpfTarget  # noqa: E402

__all__ += ["SpfTarget"]
