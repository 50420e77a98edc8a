import gc
import importlib

import project.asgi
import project.wsgi


def test_the_web_entry_points_freeze_what_loading_the_application_created():
    for entry_point in (project.wsgi, project.asgi):
        gc.unfreeze()
        importlib.reload(entry_point)
        assert gc.get_freeze_count() > 0
    gc.unfreeze()


def test_each_celery_worker_process_freezes_what_loading_created():
    from project.celery import _freeze_what_loading_created

    gc.unfreeze()
    _freeze_what_loading_created()
    assert gc.get_freeze_count() > 0
    gc.unfreeze()
