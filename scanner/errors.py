"""The scanner's error hierarchy.

A DNS failure is an exception inside the scanner and becomes ``temperror`` (or ``permerror``)
only at the result boundary, never a missing value: counting an unanswered query as "no record"
is the commonest way adoption surveys publish wrong percentages (docs/scanner-decisions.md 0.1).
"""

from __future__ import annotations

from collections.abc import Iterable


class ScanError(Exception):
    """Base class of every error the scanner raises on purpose."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class TempError(ScanError):
    """DNS did not answer: timeout, SERVFAIL, REFUSED, no reachable server.

    ``reason`` is a short token (``timeout``, ``servfail``, ``refused``, ``no_servers``, ...).
    RFC 7208 2.6.6: a later attempt may succeed, so it is never reported as ``none``.
    """


class PermError(ScanError):
    """The published data cannot be interpreted: syntax, too many lookups, loops, bad names."""


class InvalidName(PermError):
    """A name (from input or from a record) that is not a valid DNS host name."""


class LocalFailure(Exception):
    """This machine failed, not DNS: out of file descriptors, buffers or memory.

    docs/scanner-decisions.md 7.1 and 0.10: such a failure is our bug, never a DNS outcome. It
    is not a :class:`ScanError`, so no check turns it into ``temperror`` or an error result: it
    ends the run, and nothing of the failing domains is recorded.
    """


class ResolverUnreachable(LocalFailure):
    """No configured resolver answered anything at all, not even a question every resolver
    answers from its own data (``scanner.stub``, docs/scanner-decisions.md 7.8).

    The resolver is down or unreachable: every domain would otherwise come out ``temperror``,
    one query lifetime after another. Like any :class:`LocalFailure` it ends the run; what
    was measured before stands.

    The message is English, for logs and the command line. Its figures are kept apart for a
    caller that says it in its own words (the dashboard's run page, in the reader's language):
    ``servers`` ("host:port" each), ``seconds`` none of them was heard, ``attempts`` query
    attempts unanswered in a row. Empty or None when not known: one carried from a worker
    process by its text (``scanner.processes``).
    """

    def __init__(
        self,
        message: str,
        *,
        servers: tuple[str, ...] = (),
        seconds: float | None = None,
        attempts: int | None = None,
    ) -> None:
        super().__init__(message)
        self.servers = servers
        self.seconds = seconds
        self.attempts = attempts

    @classmethod
    def silent(
        cls, servers: Iterable[str], seconds: float, attempts: int
    ) -> ResolverUnreachable:
        """The verdict of ``scanner.stub``'s check: ``servers`` replied to nothing for
        ``seconds``, ``attempts`` query attempts and the root's NS included."""
        servers = tuple(servers)
        return cls(
            f"no reply from {', '.join(servers)} for {seconds:.0f} s: {attempts} query "
            "attempts and a query for the root's NS went unanswered",
            servers=servers,
            seconds=seconds,
            attempts=attempts,
        )

    def copy(self) -> ResolverUnreachable:
        """The same verdict as a new exception, figures included: one instance raised in many
        places would gather all their tracebacks."""
        return type(self)(
            str(self),
            servers=self.servers,
            seconds=self.seconds,
            attempts=self.attempts,
        )
