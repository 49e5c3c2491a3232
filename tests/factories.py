"""Factories for the domain; reference data (regions, KPIs, federal roadmap) comes from migrate."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from metrics.choices import KpiCode, ReportingStatus, ScheduleStatus, ScopeType
from metrics.models import KpiValue, RegionReporting, ScheduleState, WeeklySnapshot
from regions.choices import OrganisationKind, UserRole
from regions.models import Municipality, Organisation, Region, UserScope

WEEK = datetime.date(2025, 10, 27)


def region(code: str) -> Region:
    return Region.objects.get(code=code)


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality

    region = factory.LazyFunction(lambda: region("62"))
    name = factory.Sequence(lambda n: f"Муниципальный район № {n}")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    org_id = factory.Sequence(lambda n: f"ORG{n:06d}")
    name = factory.Sequence(lambda n: f"МБОУ СОШ № {n}")
    kind = OrganisationKind.SCHOOL
    region = factory.LazyFunction(lambda: region("62"))
    municipality = factory.SubFactory(MunicipalityFactory, region=factory.SelfAttribute("..region"))


class SnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WeeklySnapshot

    organisation = factory.SubFactory(OrganisationFactory)
    region = factory.SelfAttribute("organisation.region")
    week = WEEK
    staff_total = 100
    staff_active = 80
    students_total = 500
    students_active = 150
    parents_total = 800
    parents_active = 240
    officials_total = 4
    officials_active = 4
    sferum_total = 1400
    sferum_max_only = 1300


class RegionKpiValueFactory(factory.django.DjangoModelFactory):
    """A precomputed KPI row of a region (all organisation kinds); ``share`` sets the value."""

    class Meta:
        model = KpiValue

    class Params:
        share = 0.8

    week = WEEK
    scope = ScopeType.REGION
    region = factory.LazyFunction(lambda: region("62"))
    scope_id = factory.SelfAttribute("region.id")
    kind = ""
    kpi = KpiCode.STAFF_WEEKLY_ACTIVE
    target = Decimal("0.75")
    denominator = 1000
    numerator = factory.LazyAttribute(lambda o: 0 if o.share is None else round(o.share * o.denominator))
    value = factory.LazyAttribute(lambda o: None if o.share is None else o.numerator / o.denominator)
    met = factory.LazyAttribute(lambda o: None if o.share is None else o.numerator >= o.target * o.denominator)
    orgs_reported = factory.LazyAttribute(lambda o: 0 if o.share is None else 10)
    orgs_total = 10

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        if kwargs["value"] is None:  # no data: nothing reported, no denominator
            kwargs["denominator"] = 0
        return kwargs


class ScheduleStateFactory(factory.django.DjangoModelFactory):
    """A region's schedule state for a week."""

    class Meta:
        model = ScheduleState

    week = WEEK
    scope = ScopeType.REGION
    region = factory.LazyFunction(lambda: region("62"))
    scope_id = factory.SelfAttribute("region.id")
    status = ScheduleStatus.ON_TRACK
    status_since = factory.SelfAttribute("week")


class RegionReportingFactory(factory.django.DjangoModelFactory):
    """Whether a region reported a week."""

    class Meta:
        model = RegionReporting

    region = factory.LazyFunction(lambda: region("62"))
    week = WEEK
    status = ReportingStatus.ON_TIME
    orgs_reported = factory.LazyAttribute(lambda o: 0 if o.status == ReportingStatus.MISSING else 10)
    orgs_total = 10


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        role = extracted or UserRole.MINISTRY
        UserScope.objects.update_or_create(
            user=obj, defaults={"role": role, "region": kwargs.get("region") if role == UserRole.COORDINATOR else None}
        )
        if role == UserRole.ADMINISTRATOR:
            obj.is_staff = obj.is_superuser = True
        obj.save()


def region_state(code: str, week, **fields):
    """A region's schedule state for a week as the verdict engine keeps it (created or overwritten,
    so that a test does not depend on what the engine computed)."""
    target = region(code)
    defaults = {"status": "on_track", "region": target, **fields}
    return ScheduleState.objects.update_or_create(
        scope=ScopeType.REGION, scope_id=target.id, week=week, defaults=defaults
    )[0]


def region_reporting(code: str, week, **fields):
    """A region's reporting row for a week (created or overwritten)."""
    defaults = {"status": "on_time", "orgs_reported": 0, "orgs_total": 0, **fields}
    return RegionReporting.objects.update_or_create(region=region(code), week=week, defaults=defaults)[0]
