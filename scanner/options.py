"""Scanner configuration, passed explicitly (the scanner never reads settings or environment)."""

from __future__ import annotations

from dataclasses import dataclass

# 1232 octets: dnspython's DEFAULT_EDNS_PAYLOAD, the DNS Flag Day 2020 value that avoids
# IP fragmentation (SPEC-BRIEF 7.4). dnspython's Resolver uses no EDNS unless told.
DEFAULT_EDNS_PAYLOAD = 1232


@dataclass(frozen=True)
class ScanOptions:
    """How one scan run talks to DNS.

    ``nameservers`` are ``(host, port)`` pairs; empty means the system's resolvers
    (``/etc/resolv.conf``). ``timeout`` is per attempt to one server, ``retries`` the number of
    further attempts within one query's lifetime. ``concurrency`` bounds the queries in flight
    (each opens a UDP socket: keep it well under the file-descriptor limit, SPEC-BRIEF 8.4).
    ``selectors`` are the DKIM selectors probed on every domain (``None``: the documented
    default list in ``scanner.selectors``). ``retry_temperror`` re-checks domains that ended with
    a ``temperror`` once more at the end: a fresh cache, one attempt with a doubled timeout
    (SPEC-BRIEF 7.2). ``trust_ad``: the nameservers validate DNSSEC and the path to them is
    trusted (a resolver on loopback); only then does a result report ``dnssec`` as ``secure``
    or ``insecure`` from the AD bit, else ``unknown`` (SPEC-BRIEF 6.5: hearsay otherwise).
    """

    nameservers: tuple[tuple[str, int], ...] = ()
    timeout: float = 2.0
    retries: int = 2
    concurrency: int = 200
    selectors: tuple[str, ...] | None = None
    edns_payload: int = DEFAULT_EDNS_PAYLOAD
    retry_temperror: bool = True
    trust_ad: bool = False

    @property
    def lifetime(self) -> float:
        """Time budget of one query including its retries."""
        return self.timeout * (self.retries + 1)


def parse_nameserver(text: str, default_port: int = 53) -> tuple[str, int]:
    """``"127.0.0.1:5353"``, ``"[::1]:5353"``, ``"::1"`` or ``"192.0.2.1"`` -> ``(host, port)``."""
    text = text.strip()
    if not text:
        raise ValueError("empty nameserver")
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep:
            raise ValueError(f"unbalanced brackets in nameserver {text!r}")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host, port_text = text, ""
    port = default_port
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"bad port in nameserver {text!r}")
        port = int(port_text)
    return host, port
