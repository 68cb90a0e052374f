"""Models, one module per area; import them from here."""

from adoption.models.imports import ImportBatch
from adoption.models.ops import WorkerHeartbeat
from adoption.models.registry import (
    Domain,
    Group,
    Membership,
    Organisation,
    RegistryPeriod,
)
from adoption.models.scans import (
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
from adoption.models.reference import ReferencePoint, ReferenceSeries  # noqa: E402

__all__ += ["ReferencePoint", "ReferenceSeries"]
from adoption.models.tallies import RunTally, TalliedRun  # noqa: E402

__all__ += ["RunTally", "TalliedRun"]
from adoption.models.tallies import SpfTarget  # noqa: E402

__all__ += ["SpfTarget"]
from adoption.models.dmarc_reports import (  # noqa: E402
    DmarcDailyVolume,
    DmarcRawReport,
    DmarcRecord,
    DmarcReport,
    LearnedSelector,
)

__all__ += [
    "DmarcDailyVolume",
    "DmarcRawReport",
    "DmarcRecord",
    "DmarcReport",
    "LearnedSelector",
]
from adoption.models.dmarc_volume import DmarcScopeVolume  # noqa: E402

__all__ += ["DmarcScopeVolume"]
from adoption.models.api_tokens import ApiToken  # noqa: E402

__all__ += ["ApiToken"]
