"""The domain list (the domains behind any figure, or the latest state of all) and a domain's
page: its records (escaped), warnings, SPF tree, DMARC phase, history and an SPF check."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from adoption.access import viewer_required
from adoption.dashboard import domain_states, spf_check
from adoption.dashboard.forms import STATE_CHOICES, DomainListForm, SpfCheckForm
from adoption.dashboard.views import domain_mail
from adoption.models import Group, ScanRun
from adoption.stats import mechanisms

PAGE_SIZE = 50
STATE_LABELS = {value: label for value, label in STATE_CHOICES if value}
STATE_FIELDS_SHOWN = ("spf", "dmarc", "dkim", "adsp", "mx", "sender_id", "mta_sts", "tls_rpt", "bimi")  # fmt: skip


def _run_for_list(group: Group | None, run_id: int | None) -> ScanRun | None:
    if run_id is None:
        return domain_states.latest_run(group)
    run = ScanRun.objects.filter(pk=run_id).first()
    if run is None:
        raise Http404("no such run")
    return run


def _domain_filter(data: dict[str, Any], run: ScanRun) -> domain_states.DomainFilter:
    org = data.get("org") or ""
    mechanism = data.get("mechanism")
    return domain_states.DomainFilter(
        run=run,
        group=data.get("group"),
        organisation=int(org) if org.isdigit() else None,
        no_organisation=org == "none",
        mechanism=mechanisms.mechanism(mechanism) if mechanism else None,
        state=data.get("state") or "",
        facet=data.get("facet") or "",
        value=data.get("value") or "",
        search=data.get("q") or "",
        sort=data.get("sort") or "domain",
    )


def _spf_check(
    request: HttpRequest, domain: str, form: SpfCheckForm
) -> spf_check.SpfCheck | None:
    """The live SPF check when asked for: logged-in users only, since it asks DNS now."""
    if not request.user.is_authenticated or not form.is_valid():
        return None
    return spf_check.check_ip(domain, form.cleaned_data["ip"], request.user.pk)


def _sort_links(request: HttpRequest, current: str) -> dict[str, str]:
    """For each sortable column, the query string that sorts by it (again: reversed)."""
    links = {}
    for key in domain_states.SORTS:
        query = request.GET.copy()
        query["sort"] = f"-{key}" if current == key else key
        query.pop("page", None)
        links[key] = query.urlencode()
    return links


@require_GET
@viewer_required
def domain_list(request: HttpRequest) -> HttpResponse:
    form = DomainListForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    run = _run_for_list(data.get("group"), data.get("run"))
    page = None
    rows: list[domain_states.DomainRow] = []
    if run is not None:
        domain_filter = _domain_filter(data, run)
        try:
            results = domain_states.filtered_results(domain_filter)
        except ValueError as error:
            raise Http404(str(error)) from error
        paginator: Paginator[dict[str, Any]] = Paginator(
            domain_states.ListRows(results), PAGE_SIZE
        )
        page = paginator.get_page(request.GET.get("page"))
        rows = domain_states.domain_rows(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "run": run,
        "page": page,
        "rows": rows,
        "data": data,
        "mechanism": mechanisms.mechanism(data["mechanism"])
        if data.get("mechanism")
        else None,
        "state_label": STATE_LABELS.get(data.get("state") or ""),
        "sort_links": _sort_links(request, data.get("sort") or "domain"),
        "page_query": query.urlencode(),
    }
    return render(request, "adoption/domains/list.html", context)


@require_GET
@viewer_required
def domain_detail(request: HttpRequest, name: str) -> HttpResponse:
    domain = domain_states.find_domain(name)
    if domain is None:
        raise Http404("not a registry domain")
    measurement = domain_states.latest_measurement(domain)
    result = measurement.result if measurement else {}
    spf = result.get("spf") if isinstance(result.get("spf"), dict) else {}
    form = SpfCheckForm(request.GET if "ip" in request.GET else None)
    checked = _spf_check(request, domain.name, form)
    context = {
        "domain": domain,
        "groups": domain_states.current_groups(domain),
        "measurement": measurement,
        "result": result,
        "protocols": [
            (key, result[key])
            for key in STATE_FIELDS_SHOWN
            if isinstance(result.get(key), dict)
        ],
        "tree": domain_states.include_tree_rows(spf.get("include_tree")) if spf else [],
        "phase": domain_states.dmarc_phase(result.get("dmarc")),
        "phases": domain_states.PHASES,
        "timeline": domain_states.timeline(domain),
        "form": form,
        "evaluation": checked.evaluation if checked else None,
        "rate_limited": bool(checked and checked.rate_limited),
        "check_needs_login": form.is_bound and not request.user.is_authenticated,
        "mail": domain_mail.mail_context(request, domain, result.get("dkim")),
    }
    status = 429 if checked and checked.rate_limited else 200
    return render(request, "adoption/domains/detail.html", context, status=status)
