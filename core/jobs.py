"""Background jobs of the import engine. They take ids and return quietly if the row is gone."""

from celery import shared_task


@shared_task(name="core.apply_import", acks_late=True)
def apply_import(batch_id: int) -> None:
    """Apply a confirmed import. Taking the batch is conditional, so a rerun does nothing."""
    from core.imports.service import apply_batch

    apply_batch(batch_id)


@shared_task(name="core.fail_stuck_imports")
def fail_stuck_imports() -> int:
    """Fail imports stuck queued or writing (run by Celery beat every few minutes)."""
    from core.imports.service import fail_stuck_batches

    return fail_stuck_batches()
