"""The WSGI entry point settles start-up's objects out of the garbage collector's walks."""

import gc
import importlib


def test_the_entry_point_freezes_what_start_up_built() -> None:
    import govern.wsgi

    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    importlib.reload(govern.wsgi)
    try:
        assert gc.get_freeze_count() > 10_000  # settings, apps, models, every view
        assert callable(govern.wsgi.application)
    finally:
        gc.unfreeze()
