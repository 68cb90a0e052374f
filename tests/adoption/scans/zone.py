"""A generated zone of registry-like domains for pipeline tests, and a registry over it."""

from __future__ import annotations

from adoption.models import Domain, Group, Membership

ORIGIN = "pipeline.test"
HEADER = f"""$ORIGIN {ORIGIN}.
$TTL 300
@ SOA ns.{ORIGIN}. hostmaster.{ORIGIN}. 1 3600 600 86400 300
@ NS ns
ns A 127.0.0.1
"""


def domain_name(i: int) -> str:
    return f"d{i:03d}.{ORIGIN}"


def zone_text(
    count: int, *, reject_from: int | None = None, silent: tuple[int, ...] = ()
) -> str:
    """Every 10th name does not exist; SPF on the even ones; DMARC on every third.

    ``reject_from``: DMARC p=reject instead of p=none for names with index >= it (a change).
    ``silent``: the indexes of names whose queries are never answered (a lame delegation).
    """
    lines = [HEADER]
    lines += [f"; @fault {domain_name(i)}. timeout" for i in silent]
    for i in range(count):
        if i % 10 == 9:
            continue  # NXDOMAIN: a registry domain that does not exist
        label = f"d{i:03d}"
        lines.append(f"{label} MX 10 mx.{ORIGIN}.")
        if i % 2 == 0:
            lines.append(f'{label} TXT "v=spf1 ip4:192.0.2.{i % 250} -all"')
        if i % 3 == 0:
            policy = (
                "reject" if reject_from is not None and i >= reject_from else "none"
            )
            lines.append(
                f'_dmarc.{label} TXT "v=DMARC1; p={policy}; rua=mailto:d@{ORIGIN}"'
            )
    lines.append("mx A 192.0.2.25")
    return "\n".join(lines) + "\n"


def make_registry(count: int, group_name: str = "テスト") -> list[Domain]:
    group, _ = Group.objects.get_or_create(
        name=group_name, defaults={"name_en": "Test"}
    )
    domains = []
    for i in range(count):
        name = domain_name(i)
        domain = Domain.objects.create(name=name, unicode_name=name)
        Membership.objects.create(domain=domain, group=group)
        domains.append(domain)
    return domains
