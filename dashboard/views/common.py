"""What the pages share: the week on screen, the top bar and breadcrumbs, the overview's filters."""

from datetime import date
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from metrics.selectors import default_week, week_info, weeks_with_data
from regions.selectors import user_region


def week_state(form) -> tuple[list[date], date | None, str]:
    """Weeks with data (newest first, a week asked for without data included), the week on
    screen (by default the latest closed week with data, DESIGN.md §4.2: an open week is shown
    only when asked for) and the query string that carries an explicitly chosen week into the
    page's links."""
    weeks = weeks_with_data()
    asked = form.week_value()
    week = asked or default_week(weeks=weeks)
    if week is not None and week not in weeks:
        weeks = sorted([*weeks, week], reverse=True)
    return weeks, week, ("?" + urlencode({"week": week.isoformat()}) if asked else "")


def overview_filters(form) -> dict:
    """The overview's filters (district, pilot, status) as ``country_summary`` takes them."""
    district = form.value("district")
    return {
        "district": district.code if district else None,
        "pilot": form.value("pilot"),
        "status": form.value("status"),
    }


def chosen_kpi(definitions, code):
    """The KPI asked for, the first one by default."""
    return next((d for d in definitions if d.code == code), definitions[0])


def export_name(stem: str, week: date | None) -> str:
    return f"{stem}-{week:%Y-%m-%d}" if week else stem


def page_context(request, nav, weeks, week, breadcrumbs, **context) -> dict:
    """What base.html needs: the tab, the week selector (keeping the other filters), breadcrumbs,
    and the week's deadline and provisional flag (the banner of an open week)."""
    keep = [(key, value) for key, value in request.GET.items() if key not in ("week", "page")]
    return {
        "nav": nav,
        "weeks": weeks,
        "week": week,
        "week_info": week_info(week),
        "keep_params": keep,
        "breadcrumbs": breadcrumbs,
        **context,
    }


def nav(request, region) -> str:
    """The top bar tab: a coordinator's own region has its tab, every other page is "Россия"."""
    own = user_region(request.user)
    return "region" if own is not None and own.pk == region.pk else "overview"


def russia_url(request) -> str:
    """The federal overview; a coordinator (sent from `/` to their region) reaches it with ?all=1."""
    url = reverse("dashboard:home")
    return url + "?all=1" if user_region(request.user) is not None else url


def region_crumbs(request, region, *, link_last=False, week_query="") -> list[tuple]:
    """Россия › округ › регион."""
    district = region.federal_district
    return [
        (_("Россия"), russia_url(request)),
        (district.code, reverse("dashboard:home") + "?" + urlencode({"district": district.code})),
        (f"{region.code} {region.name}", region.get_absolute_url() + week_query if link_last else None),
    ]
