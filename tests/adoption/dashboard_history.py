"""A small registry with three finished runs, used by the dashboard tests.

Five domains, two groups; ``c`` leaves group G1 for G2 on 15 March, between runs 2 and 3.

| domain | run 1 (1 Feb)              | run 2 (1 Mar)                        | run 3 (1 Apr)                   |
|--------|----------------------------|--------------------------------------|---------------------------------|
| a      | SPF -all, DMARC reject, DKIM | same                               | same                            |
| b      | SPF ~all, DMARC p=none     | SPF -all, DMARC quarantine           | same as run 2                   |
| c      | nothing published          | SPF permerror (11 lookups), DMARC temperror | SPF -all, DMARC reject   |
| d      | DNS error (status error)   | SPF ~all, null MX, Sender ID         | same + DKIM                     |
| e      | NXDOMAIN                   | NXDOMAIN                             | SPF without all, no MX          |

Groups: G1 = a, b, c (c until 15 March); G2 = d, e (+ c from 15 March).
Organisations: 総務省 (a, b), 国土交通省 (c, e); d has none.
"""

from __future__ import annotations

from dataclasses import dataclass

from adoption.models import Domain, Group, Membership, Organisation, ScanRun
from adoption.stats.counts import Figure, RunAdoption

from .dashboard_factories import finished_run, registry_domain, result, when

GOOGLE = "_spf.google.com"
OUTLOOK = "spf.protection.outlook.com"


@dataclass
class History:
    g1: Group
    g2: Group
    soumu: Organisation
    mlit: Organisation
    domains: dict[str, Domain]
    runs: list[ScanRun]


def _results(d: dict[str, Domain], run: int) -> dict[Domain, dict]:
    a = result(d["a"].name, spf="valid", spf_all="-all", lookups=1, includes=(GOOGLE,),
               dmarc="valid", p="reject", dkim="found")  # fmt: skip
    if run == 1:
        return {
            d["a"]: a,
            d["b"]: result(d["b"].name, spf="valid", spf_all="~all", lookups=2,
                           includes=(GOOGLE, OUTLOOK), dmarc="valid", p="none"),
            d["c"]: result(d["c"].name),
            d["d"]: result(d["d"].name, status="error"),
            d["e"]: result(d["e"].name, status="nxdomain"),
        }  # fmt: skip
    b = result(d["b"].name, spf="valid", spf_all="-all", lookups=2, includes=(GOOGLE, OUTLOOK),
               dmarc="valid", p="quarantine")  # fmt: skip
    dd = result(d["d"].name, spf="valid", spf_all="~all", lookups=1, includes=(OUTLOOK,),
                mx="null_mx", sender_id="found", dkim="found" if run == 3 else "none")  # fmt: skip
    if run == 2:
        return {
            d["a"]: a,
            d["b"]: b,
            d["c"]: result(d["c"].name, spf="permerror", spf_all="-all", lookups=11,
                           dmarc="temperror"),
            d["d"]: dd,
            d["e"]: result(d["e"].name, status="nxdomain"),
        }  # fmt: skip
    return {
        d["a"]: a,
        d["b"]: b,
        d["c"]: result(d["c"].name, spf="valid", spf_all="-all", dmarc="valid", p="reject"),
        d["d"]: dd,
        d["e"]: result(d["e"].name, spf="valid", spf_all=None, mx="none"),
    }  # fmt: skip


def build_history() -> History:
    g1 = Group.objects.create(name="中央省庁", name_en="Central government")
    g2 = Group.objects.create(name="都道府県", name_en="Prefectures")
    soumu = Organisation.objects.create(name_ja="総務省", name_en="MIC")
    mlit = Organisation.objects.create(name_ja="国土交通省", name_en="MLIT")
    d = {
        "a": registry_domain("a.example.jp", soumu, (g1,)),
        "b": registry_domain("b.example.jp", soumu, (g1,)),
        "c": registry_domain("c.example.jp", mlit, (g1,)),
        "d": registry_domain("d.example.jp", None, (g2,)),
        "e": registry_domain("e.example.jp", mlit, (g2,)),
    }
    runs = [
        finished_run(_results(d, 1), when(2)),
        finished_run(_results(d, 2), when(3)),
    ]
    moved = when(3, 15)
    Membership.objects.filter(domain=d["c"], group=g1).update(left_at=moved)
    Membership.objects.create(domain=d["c"], group=g2, joined_at=moved)
    runs.append(finished_run(_results(d, 3), when(4)))
    return History(g1, g2, soumu, mlit, d, runs)


def figures(points: list[RunAdoption], key: str) -> list[Figure]:
    """One mechanism's figure in each run of ``points``."""
    return [p.figures[key] for p in points]
