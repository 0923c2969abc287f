import logging
import os

from django.core import checks
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "secrets_site.settings")

application = get_wsgi_application()

# gunicorn runs no system checks: say at start-up what would weaken a fleet.
for message in checks.run_checks(tags=[checks.Tags.security]):
    logging.getLogger("secrets_site").warning("%s", message)
