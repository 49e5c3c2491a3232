"""Celery tasks of the digests: thin wrappers that take ids and call a service.

The services import this module and queue on commit; a task imports its service inside its body."""

from celery import shared_task


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None, ignore_result=True)
def digest_deliver_task(self, delivery_id: int) -> None:
    """One recipient's digest. The service bounds the retries (DIGEST_RETRY_DELAYS), each well
    below the broker's visibility timeout."""
    from .services import digest_deliver

    retries = self.request.retries
    retry_in = digest_deliver(delivery_id=delivery_id, retries_done=retries)
    # Inline (no broker: `make run`, the tests): Celery does not retry an eager task, so the
    # retries run here, at once.
    while retry_in is not None and self.request.is_eager:
        retries += 1
        retry_in = digest_deliver(delivery_id=delivery_id, retries_done=retries)
    if retry_in is not None:
        raise self.retry(countdown=retry_in)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def digests_send_due_task() -> None:
    """The hourly beat job: the latest closed week's digests, and the alarm."""
    from .services import digests_send_due

    digests_send_due()
