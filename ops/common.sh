# Shared by ops/backup and ops/restore (sourced, not run).
#
# The app's own settings, read through manage.py so `.env` and DATABASE_URL are
# honoured exactly as the site honours them, exported as libpq variables for
# pg_dump, pg_restore and psql.

set -euo pipefail

OPS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${PYTHON:-}" ]; then
    if [ -x "$OPS_ROOT/.venv/bin/python" ]; then
        PYTHON="$OPS_ROOT/.venv/bin/python"
    else
        PYTHON=python3
    fi
fi

# Rows in every table of the app's schema, one "table<TAB>rows" line each, in name order.
# One statement, so it can run inside the snapshot pg_dump reads.
COUNT_SQL="SELECT table_name, (xpath('/row/n/text()', query_to_xml(
    format('SELECT count(*) AS n FROM %I.%I', table_schema, table_name), false, true, '')))[1]
    FROM information_schema.tables
    WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
    ORDER BY table_name;"

# The tables a person checks first after a restore.
MAIN_TABLES="articles_article comments_comment donations_donation donations_donor donations_campaign articles_image auth_user"

fail() {
    echo "ops/$(basename "$0"): $*" >&2
    exit 1
}

load_settings() {
    local assignments
    assignments="$(cd "$OPS_ROOT" && "$PYTHON" manage.py backup_settings)" \
        || fail "could not read the site's settings (manage.py backup_settings failed; see above)."
    eval "$assignments"
    if [ "$DB_VENDOR" = sqlite ]; then
        echo "ops/$(basename "$0"): the site uses SQLite ($DB_NAME), not PostgreSQL." >&2
        echo "A SQLite database's backup is a copy of its file: stop the site and copy it," >&2
        echo "or run: sqlite3 '$DB_NAME' \".backup '<copy>'\" while it runs; copy MEDIA_ROOT ($MEDIA_ROOT) too." >&2
        exit 2
    fi
    [ "$DB_VENDOR" = postgresql ] || fail "the site's database is $DB_VENDOR; only PostgreSQL is supported."
    [ "$MEDIA_STORAGE" = django.core.files.storage.FileSystemStorage ] \
        || fail "media are stored by $MEDIA_STORAGE, not in MEDIA_ROOT; back them up where they live."
    export PGDATABASE PGUSER PGHOST PGPORT
    for variable in PGPASSWORD PGSSLMODE PGSSLROOTCERT PGSSLCERT PGSSLKEY PGCONNECT_TIMEOUT PGOPTIONS PGSERVICE; do
        [ -n "${!variable:-}" ] && export "${variable?}"
    done
    return 0
}

# psql for scripts: no ~/.psqlrc, unaligned tab-separated rows, stop at the first error.
sql() {
    psql -X -q -A -t -F $'\t' -v ON_ERROR_STOP=1 "$@"
}
