"""The live SPF check of a domain's page is bounded: logged-in users only, a time limit, a cache
per (domain, IP, minute), a per-user rate limit, and no lock between concurrent checks.

The loopback DNS server counts the questions it receives, so "no DNS" is a count of zero.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from adoption.dashboard import spf_check
from adoption.models import ScanRun
from scanner.spf_eval import TIME_LIMIT_REACHED
from tests.dnsserver import DnsServer

from ..conftest import logged_in
from ..dashboard_factories import finished_run, registry_domain, result, when
from ..processes import RedisServer
from .test_domain_pages import ZONE

URL = "/domains/check.test/"
# A silent resolver: every attempt would wait this long, three attempts per lookup.
SLOW_TIMEOUT, SLOW_RETRIES = 5.0, 2


@pytest.fixture
def measured(db: None) -> None:
    domain = registry_domain("check.test")
    finished_run({domain: result(domain.name)}, when(2), state=ScanRun.State.DONE)


@pytest.fixture
def answering(dns_server_factory: Callable[..., DnsServer]):
    server = dns_server_factory(zone_texts=[ZONE])
    with override_settings(
        SCANNER_NAMESERVERS=[server.nameserver], SCANNER_TIMEOUT=0.5, SCANNER_RETRIES=1
    ):
        yield server


@pytest.fixture
def silent(dns_server_factory: Callable[..., DnsServer]):
    server = dns_server_factory(zone_texts=[ZONE], mode="timeout")
    with override_settings(
        SCANNER_NAMESERVERS=[server.nameserver],
        SCANNER_TIMEOUT=SLOW_TIMEOUT,
        SCANNER_RETRIES=SLOW_RETRIES,
    ):
        yield server


def verdict(client: Client, ip: str) -> tuple[int, str]:
    response = client.get(URL, {"ip": ip})
    return response.status_code, response.content.decode()


@pytest.mark.django_db
@override_settings(DASHBOARD_PUBLIC=True)
def test_anonymous_visitor_of_a_public_dashboard_sends_no_dns_query(
    client, measured, answering
):
    status, html = verdict(client, "192.0.2.25")
    assert status == 200
    assert 'id="spf-verdict"' not in html
    assert 'id="spf-check-login"' in html and "/accounts/login/?next=" in html
    assert 'id="domain-status"' in html  # the stored results are shown
    assert answering.queries == 0


@pytest.mark.django_db
def test_a_result_is_reused_within_its_minute_and_asked_again_after(
    viewer, measured, answering
):
    with time_machine.travel("2025-04-01 10:00:05 +0900", tick=False) as clock:
        first = verdict(viewer, "192.0.2.25")
        asked = answering.queries
        again = verdict(viewer, "192.0.2.25")
        assert answering.queries == asked > 0
        other_ip = verdict(viewer, "198.51.100.7")
        assert answering.queries > asked
        asked = answering.queries
        clock.shift(60)
        verdict(viewer, "192.0.2.25")
    assert answering.queries > asked
    assert '<strong id="spf-result">pass</strong>' in first[1]
    assert '<strong id="spf-result">pass</strong>' in again[1]
    assert '<strong id="spf-result">fail</strong>' in other_ip[1]


@pytest.mark.django_db
@override_settings(SPF_CHECK_PER_MINUTE=2)
def test_each_user_starts_a_few_checks_a_minute(viewer, measured, answering):
    with time_machine.travel("2025-04-01 10:00:05 +0900", tick=False) as clock:
        assert verdict(viewer, "192.0.2.1")[0] == 200
        assert verdict(viewer, "192.0.2.2")[0] == 200
        asked = answering.queries
        status, html = verdict(viewer, "192.0.2.3")
        assert (status, answering.queries) == (429, asked)
        assert 'id="spf-rate-limited"' in html and 'id="spf-verdict"' not in html
        # A cached answer is free, and another user has a count of their own.
        assert verdict(viewer, "192.0.2.1")[0] == 200
        assert verdict(logged_in("other"), "192.0.2.3")[0] == 200
        clock.shift(60)
        assert verdict(viewer, "192.0.2.4")[0] == 200


@pytest.fixture
def redis_cache():
    server = RedisServer()
    server.start()
    with override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": server.url,
            }
        }
    ):
        yield
    server.stop()


def in_another_worker(action: Callable[[], spf_check.SpfCheck]) -> spf_check.SpfCheck:
    """Run ``action`` in a thread of its own: Django gives each thread its own cache client,
    as each gunicorn worker process has."""
    done: list[spf_check.SpfCheck] = []
    thread = threading.Thread(target=lambda: done.append(action()))
    thread.start()
    thread.join()
    return done[0]


@pytest.mark.django_db
@override_settings(SPF_CHECK_PER_MINUTE=1)
def test_web_workers_share_results_and_counts_through_redis(
    viewer, measured, answering, redis_cache
):
    user = get_user_model().objects.get(username="viewer")
    with time_machine.travel("2025-04-01 10:00:05 +0900", tick=False):
        assert verdict(viewer, "192.0.2.25")[0] == 200
        asked = answering.queries
        cached = in_another_worker(
            lambda: spf_check.check_ip("check.test", "192.0.2.25", user.pk)
        )
        limited = in_another_worker(
            lambda: spf_check.check_ip("check.test", "192.0.2.26", user.pk)
        )
    assert cached.evaluation is not None and cached.evaluation.result == "pass"
    assert limited.rate_limited and limited.evaluation is None
    assert answering.queries == asked


@pytest.mark.django_db
@override_settings(SPF_CHECK_TIME_LIMIT=0.3)
def test_a_silent_domain_is_temperror_at_the_time_limit(viewer, measured, silent):
    """Without the limit this check would wait three attempts of five seconds."""
    status, html = verdict(viewer, "192.0.2.1")
    assert status == 200
    assert '<strong id="spf-result">temperror</strong>' in html
    assert TIME_LIMIT_REACHED in html


@override_settings(SPF_CHECK_TIME_LIMIT=3.0)
def test_concurrent_checks_of_a_silent_domain_do_not_wait_for_each_other(silent):
    """Three checks at once each reach the silent server before any of them ends: with a
    lock around pyspf, the second would only ask once the first had given up."""
    results: dict[int, spf_check.SpfCheck] = {}

    def check(user_id: int) -> None:
        results[user_id] = spf_check.check_ip(
            "check.test", f"192.0.2.{user_id}", user_id
        )

    threads = [threading.Thread(target=check, args=(n,)) for n in (1, 2, 3)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while silent.queries < 3 and time.monotonic() < deadline:
        time.sleep(0.01)  # polls the server's counter, bounded by the deadline
    alive_when_all_asked = [thread.is_alive() for thread in threads]
    for thread in threads:
        thread.join()
    assert silent.queries >= 3
    assert alive_when_all_asked == [True, True, True]
    for checked in results.values():
        assert checked.evaluation is not None
        assert checked.evaluation.result == "temperror"
        assert TIME_LIMIT_REACHED in checked.evaluation.explanation
