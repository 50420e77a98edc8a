"""Beat jobs of the service app: they fill caches and call services; no service imports them."""

from celery import shared_task

from . import selectors


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def leaderboard_recompute() -> int:
    """Every 爱心榜 board (each period, city-wide and per community) into the cache; how many.
    Idempotent: a run only overwrites the boards with their current figures."""
    return selectors.leaderboard_compute_all()
