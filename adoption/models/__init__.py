"""Models, one module per area; import them from here."""

from .ops import WorkerHeartbeat
from .registry import Domain, Group, Membership, Organisation

__all__ = ["Domain", "Group", "Membership", "Organisation", "WorkerHeartbeat"]
