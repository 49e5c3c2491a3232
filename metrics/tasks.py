"""Celery tasks: thin wrappers that take ids and call a service.

The services import this module and queue a task on commit; a task imports its service inside its
body, so neither module imports the other at load time."""

from celery import shared_task


# No Celery retries: upload_process retries a lost database itself, and a lost worker's upload is
# queued again by uploads_requeue_stuck.
@shared_task(acks_late=True, reject_on_worker_lost=True)
def upload_process_task(upload_id: int) -> None:
    from .services import upload_process

    upload_process(upload_id=upload_id)


@shared_task(ignore_result=True)
def uploads_requeue_stuck_task() -> None:
    from .services import uploads_requeue_stuck

    uploads_requeue_stuck()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def kpi_current_week_recompute_task() -> None:
    from .services import kpi_current_week_recompute

    kpi_current_week_recompute()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def organisation_kpis_refresh_task(organisation_id: int, region_ids: list[int]) -> None:
    from .services import organisation_kpis_refresh

    organisation_kpis_refresh(organisation_id=organisation_id, region_ids=region_ids)
