"""E-mail sender-authentication checks from DNS. Imports no Django.

The public API is imported lazily (PEP 562): ``import scanner.names`` stays light for callers
that only normalise names (CSV import), while ``from scanner import check_domains`` loads the
engine and every protocol module on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import (
        check_domain,
        check_domains,
        check_domains_or_defer,
        check_domains_sync,
        resolvers_answer,
    )
    from .errors import ResolverUnreachable
    from .names import normalize_domain
    from .options import ScanOptions
    from .result import DomainResult
    from .selectors import Probing
    from .spf_eval import evaluate_spf

_EXPORTS = {
    "check_domain": "engine",
    "check_domains": "engine",
    "check_domains_or_defer": "engine",
    "check_domains_sync": "engine",
    "resolvers_answer": "engine",
    "DomainResult": "result",
    "ScanOptions": "options",
    "Probing": "selectors",
    "ResolverUnreachable": "errors",
    "evaluate_spf": "spf_eval",
    "normalize_domain": "names",
}

__all__ = [
    "DomainResult",
    "Probing",
    "ResolverUnreachable",
    "ScanOptions",
    "check_domain",
    "check_domains",
    "check_domains_or_defer",
    "check_domains_sync",
    "evaluate_spf",
    "normalize_domain",
    "resolvers_answer",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'scanner' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
