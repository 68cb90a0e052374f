"""Generate a registry-like set of domains and the zone files that serve them.

The mix (docs/benchmarks.md, "Scanner throughput"): about 70% publish SPF, most of them
through a few shared provider includes (the case the per-run cache exists for); 40% DMARC with
mixed policies; 20% DKIM at common selectors; about 10% do not exist; a few are lame (SERVFAIL
or no answer).
Everything is deterministic for a given seed, so two runs scan the same data.

``rich=True`` shapes the same domains more like the internet seen through a resolver (the
profile of docs/benchmarks.md, "CPU per domain"): 2-6 more TXT records at each apex (site
verifications), half of the DKIM keys and a third of the DMARC records behind a CNAME to a
provider's name, and a second MX host for half the domains. Its draws come from their own
random stream, so the plain mix (and every earlier figure) is unchanged.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from pathlib import Path

ORIGIN = "bench.test"
PROVIDERS = ("mail-a", "mail-b", "mail-c", "mail-d", "mail-e")
DKIM_SELECTORS = ("selector1", "google", "k1", "s1", "default")
# Shares of all domains; the per-domain draws below divide by the existing share.
SHARE_NXDOMAIN = 0.10
SHARE_LAME = 0.005
SHARE_EXISTING = 1 - SHARE_NXDOMAIN - SHARE_LAME
SHARE_SPF = 0.70
SHARE_SPF_VIA_PROVIDER = 0.75  # of SPF publishers
SHARE_DMARC = 0.40
SHARE_DKIM = 0.20
SHARE_MX = 0.80
SHARE_MTA_STS = 0.05
DMARC_POLICIES = (
    ("none", 0.5),
    ("quarantine", 0.2),
    ("reject", 0.25),
    ("quarantine; pct=50", 0.05),
)
# A fixed 2048-bit RSA SubjectPublicKeyInfo (only its shape matters: the scanner measures
# the key size, it never verifies a signature).
DKIM_KEY = base64.b64encode(
    bytes.fromhex(
        "30820122300d06092a864886f70d01010105000382010f003082010a0282010100"
        + "c3" * 256
        + "0203010001"
    )
).decode("ascii")


@dataclass(frozen=True)
class Plan:
    domains: list[str]
    zone_text: str
    counts: dict[str, int]


def quoted(text: str, width: int = 200) -> str:
    """A TXT value as character-strings of at most 255 octets (RFC 1035 3.3.14)."""
    return " ".join(f'"{text[i : i + width]}"' for i in range(0, len(text), width))


def provider_records() -> list[str]:
    lines = []
    for index, provider in enumerate(PROVIDERS):
        lines.append(
            f"_spf.{provider} TXT "
            f'"v=spf1 ip4:198.51.{index}.0/24 ip6:2001:db8:{index}::/48 include:_nets.{provider} ~all"'
        )
        lines.append(f'_nets.{provider} TXT "v=spf1 ip4:203.0.{index}.0/24 -all"')
        lines.append(f"mx.{provider} A 192.0.2.{index + 1}")
        lines.append(f"mx2.{provider} A 192.0.2.{index + 101}")
    return lines


def domain_records(name: str, rng: random.Random, counts: dict[str, int]) -> list[str]:
    lines = [f"{name} A 192.0.2.200"]
    provider = rng.choice(PROVIDERS)
    if rng.random() < SHARE_SPF / SHARE_EXISTING:
        counts["spf"] += 1
        qualifier = rng.choice(("-all", "~all", "~all", "?all"))
        if rng.random() < SHARE_SPF_VIA_PROVIDER:
            spf = f"v=spf1 include:_spf.{provider}.{ORIGIN} {qualifier}"
        else:
            spf = f"v=spf1 ip4:192.0.2.{rng.randrange(256)} mx {qualifier}"
        lines.append(f'{name} TXT "{spf}"')
    if rng.random() < 0.3:
        lines.append(f'{name} TXT "site-verification={rng.getrandbits(64):016x}"')
    if rng.random() < SHARE_MX / SHARE_EXISTING:
        lines.append(f"{name} MX 10 mx.{provider}.{ORIGIN}.")
    if rng.random() < SHARE_DMARC / SHARE_EXISTING:
        counts["dmarc"] += 1
        policy = rng.choices(
            [p for p, _ in DMARC_POLICIES], weights=[w for _, w in DMARC_POLICIES]
        )[0]
        lines.append(
            f'_dmarc.{name} TXT "v=DMARC1; p={policy}; rua=mailto:dmarc@{name}.{ORIGIN}"'
        )
    if rng.random() < SHARE_DKIM / SHARE_EXISTING:
        counts["dkim"] += 1
        selector = rng.choice(DKIM_SELECTORS)
        lines.append(
            f"{selector}._domainkey.{name} TXT {quoted('v=DKIM1; k=rsa; p=' + DKIM_KEY)}"
        )
    if rng.random() < SHARE_MTA_STS / SHARE_EXISTING:
        lines.append(f'_mta-sts.{name} TXT "v=STSv1; id={rng.getrandbits(32)}"')
        lines.append(
            f'_smtp._tls.{name} TXT "v=TLSRPTv1; rua=mailto:tls@{name}.{ORIGIN}"'
        )
    return lines


VERIFICATIONS = (
    "google-site-verification",
    "MS",
    "facebook-domain-verification",
    "apple-domain-verification",
    "atlassian-domain-verification",
    "docusign",
)


def enrich(name: str, lines: list[str], rng: random.Random) -> list[str]:
    """``rich`` mode: more apex TXT, CNAMEs to providers, a second MX (see the docstring)."""
    provider = rng.choice(PROVIDERS)
    out = []
    for line in lines:
        owner, rtype, rdata = line.split(" ", 2)
        if rtype == "TXT" and "._domainkey." in owner and rng.random() < 0.5:
            hosted = f"{owner.split('.')[0]}-{name}._domainkey.{provider}"
            out += [f"{owner} CNAME {hosted}.{ORIGIN}.", f"{hosted} TXT {rdata}"]
        elif rtype == "TXT" and owner.startswith("_dmarc.") and rng.random() < 1 / 3:
            hosted = f"{name}._dmarc-hosted.{provider}"
            out += [f"{owner} CNAME {hosted}.{ORIGIN}.", f"{hosted} TXT {rdata}"]
        else:
            out.append(line)
        if rtype == "MX" and rng.random() < 0.5:
            out.append(f"{owner} MX 20 mx2.{provider}.{ORIGIN}.")
    for label in rng.sample(VERIFICATIONS, rng.randint(2, 6)):
        out.append(f'{name} TXT "{label}={rng.getrandbits(192):048x}"')
    return out


def generate(count: int, seed: int = 20260701, rich: bool = False) -> Plan:
    """``count`` domains under ``bench.test`` and one zone file text serving them."""
    rng = random.Random(seed)  # benchmark data, not secrets
    extra = random.Random(seed + 1)  # rich mode's own stream
    counts = dict.fromkeys(("nxdomain", "lame", "spf", "dmarc", "dkim"), 0)
    lines = [
        f"$ORIGIN {ORIGIN}.",
        "$TTL 3600",
        f"@ SOA ns.{ORIGIN}. hostmaster.{ORIGIN}. 1 3600 600 86400 300",
        f"@ NS ns.{ORIGIN}.",
        "ns A 127.0.0.1",
        *provider_records(),
    ]
    domains = []
    for index in range(count):
        name = f"d{index:05d}"
        domains.append(f"{name}.{ORIGIN}")
        draw = rng.random()
        if draw < SHARE_NXDOMAIN:
            counts["nxdomain"] += 1
            continue
        if draw < SHARE_NXDOMAIN + SHARE_LAME:
            counts["lame"] += 1
            mode = "servfail" if index % 2 else "timeout"
            lines.append(f"; @fault {name}.{ORIGIN}. {mode}")
            lines.append(f'{name} TXT "v=spf1 -all"')
            continue
        records = domain_records(name, rng, counts)
        lines.extend(enrich(name, records, extra) if rich else records)
    return Plan(domains, "\n".join(lines) + "\n", counts)


def write(
    directory: Path, count: int, seed: int = 20260701, rich: bool = False
) -> Plan:
    plan = generate(count, seed, rich)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "bench.zone").write_text(plan.zone_text, encoding="utf-8")
    return plan
