import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
application = get_wsgi_application()
# What loading Django and Accord created lives as long as the process. Frozen, the garbage
# collector's full passes no longer walk it: they were the slowest requests' extra 100 ms.
gc.freeze()
