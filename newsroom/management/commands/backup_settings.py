"""
What ops/backup and ops/restore need to know, read exactly as the app reads it.

The scripts run pg_dump, pg_restore and psql, which cannot read Django settings;
asking Django means `.env`, DATABASE_URL's parsing and MEDIA_ROOT's default are
honoured in one place, so a backup is always of the database the site uses.
The output is shell assignments (`eval "$(manage.py backup_settings)"`): the
libpq environment variables, so no password appears on a command line.
"""

import shlex

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connections

# Connection OPTIONS that libpq also reads from the environment.
LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "options": "PGOPTIONS",
    "service": "PGSERVICE",
}


class Command(BaseCommand):
    help = (
        "Print, as shell assignments, the database and media folder the site uses "
        "(for ops/backup and ops/restore)."
    )

    def handle(self, *args, **options):
        database = connections["default"].settings_dict
        values = {
            "DB_VENDOR": connections["default"].vendor,
            "DB_NAME": str(database["NAME"]),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "MEDIA_STORAGE": settings.STORAGES["default"]["BACKEND"],
        }
        if values["DB_VENDOR"] == "postgresql":
            values.update(
                {
                    "PGDATABASE": database["NAME"],
                    "PGUSER": database["USER"],
                    "PGPASSWORD": database["PASSWORD"],
                    "PGHOST": database["HOST"],
                    "PGPORT": database["PORT"],
                }
            )
            for option, variable in LIBPQ_OPTIONS.items():
                values[variable] = database["OPTIONS"].get(option)
        for name, value in values.items():
            # Left unset when empty, so libpq falls back (socket, ~/.pgpass) as the app's own does.
            if value not in (None, ""):
                self.stdout.write(f"{name}={shlex.quote(str(value))}")
