"""
Settings for the newsroom, read from the environment (and an optional `.env`).

The defaults need nothing installed: SQLite, local-memory cache, console email
and media in a local folder. Production is the same code with DATABASE_URL,
CACHE_URL, EMAIL_URL, SECRET_KEY, ALLOWED_HOSTS and DEBUG=off in the
environment; see README's configuration table.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. Set it in the environment or in .env "
            "(see .env.example); never run production on a default key."
        )
    # Only reachable with DEBUG on, i.e. on a developer's machine.
    SECRET_KEY = "django-insecure-development-key-never-use-in-production"
# The same test as Django's deploy check security.W009, made fatal: a guessable key lets
# anyone forge sessions, password-reset links and the comment form's signed timestamps.
elif not DEBUG and (
    len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-")
):
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak for DEBUG off: use at least 50 characters with at least 5 "
        "different ones, not starting with 'django-insecure-'. Generate one with: python -c "
        '"from django.core.management.utils import get_random_secret_key as k; print(k())"'
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.flatpages",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "newsroom",
    "articles",
    "comments",
    "donations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before anything that reads the path or query: a NUL byte must not reach the database.
    "newsroom.security.ControlCharactersMiddleware",
    "newsroom.security.AdminNoIndexMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "newsroom.middleware.WordPressLinksMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "newsroom.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "newsroom.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "newsroom.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that accepts connections and never answers must not hold a request for
    # ever: past this many seconds the reader gets the outage page (README: Operations).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue for the lock instead of failing with "database is locked" when
    # several readers comment or give at once (the development server, `make run`).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE", timeout=20, init_command="PRAGMA journal_mode=WAL;"
    )
# Keep connections between requests: opening one costs more than most pages' queries.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://newsroom")}
# Redis (redis:// or rediss://) goes through newsroom.cache: short timeouts, and while Redis
# is unreachable the site serves without it (README: Redis outage).
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "newsroom.cache.RedisCache"

_email = env.email("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Newsroom <newsroom@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# A hung mail server must not hold a worker: each SMTP connection gives up after this.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# The outbox (newsroom.mail) tries a failed send again after MAIL_RETRY_SECONDS, then twice
# as long each time up to MAIL_RETRY_MAX_SECONDS, and gives up after MAIL_MAX_ATTEMPTS
# (about two hours by default); staff see failed ones in the admin and can send them again.
MAIL_MAX_ATTEMPTS = env.int("MAIL_MAX_ATTEMPTS", default=8)
MAIL_RETRY_SECONDS = env.int("MAIL_RETRY_SECONDS", default=60)
MAIL_RETRY_MAX_SECONDS = env.int("MAIL_RETRY_MAX_SECONDS", default=3600)

# In the database alone: only staff have sessions (readers get none), and a copy in Redis
# could outlive a sign-out made while Redis was unreachable (README: Redis outage).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Messages ride in a signed cookie: the default falls back to the session when they are
# long, and a reader must never get a session row (README: personal data).
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"

# django-axes first: it refuses a locked-out account or address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Staff are the only ones who sign in: sign-in-only static pages send readers to the admin's.
LOGIN_URL = "admin:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The site speaks its newsroom's language, whatever the reader's browser prefers.
LANGUAGE_CODE = env("LANGUAGE_CODE", default="en-us")
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = env("MEDIA_URL", default="/media/")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Development and tests serve static files without a collected STATIC_ROOT.
WHITENOISE_AUTOREFRESH = DEBUG

SITE_ID = 1
# The public host name, e.g. news.example.org: absolute links in feeds and sitemaps use it.
SITE_DOMAIN = env("SITE_DOMAIN", default="")
SITE_NAME = env("SITE_NAME", default="Newsroom")
SITE_TAGLINE = env("SITE_TAGLINE", default="Independent, reader-supported journalism")
ADMIN_URL = env("ADMIN_URL", default="admin/")

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Once every request is sent to HTTPS, browsers are told to never try HTTP for a year.
    SECURE_HSTS_SECONDS = env.int(
        "SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if SECURE_SSL_REDIRECT else 0
    )
    # Opt-ins: they bind every subdomain (and, preloaded, every browser) to HTTPS for good.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    # The deploy check warns about both whenever HSTS is on; here they are deliberate choices.
    SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"

# Background work (email): run at once in development, queued in the database
# for `manage.py db_worker` in production (TASKS_BACKEND=database).
TASKS = {
    "default": {
        "BACKEND": {
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
            "database": "django_tasks_db.DatabaseBackend",
        }[env("TASKS_BACKEND", default="immediate")]
    }
}

# Articles
ARTICLES_PER_PAGE = env.int("ARTICLES_PER_PAGE", default=10)
ARTICLES_FEATURED_ON_HOME = env.int("ARTICLES_FEATURED_ON_HOME", default=3)
ARTICLES_IN_FEED = env.int("ARTICLES_IN_FEED", default=20)
# Hosts whose <iframe> embeds survive body sanitizing; everything else is dropped.
ARTICLES_EMBED_HOSTS = env.list(
    "ARTICLES_EMBED_HOSTS",
    default=[
        "www.youtube.com",
        "www.youtube-nocookie.com",
        "player.vimeo.com",
        "open.spotify.com",
        "w.soundcloud.com",
        "www.google.com",
        "datawrapper.dwcdn.net",
        "flo.uri.sh",
    ],
)
# Article bodies and static pages longer than this are refused by the admin form. A long
# feature is 50-100 KB of HTML; tag soup built to be slow costs about 1 s of a worker per
# 200 KB to sanitize, so the cap bounds what a contributor's save can cost.
ARTICLES_MAX_BODY_BYTES = env.int("ARTICLES_MAX_BODY_BYTES", default=512 * 1024)
IMAGE_MAX_UPLOAD_BYTES = env.int("IMAGE_MAX_UPLOAD_BYTES", default=15 * 1024 * 1024)
IMAGE_MAX_PIXELS = env.int("IMAGE_MAX_PIXELS", default=40_000_000)
IMAGE_RENDITION_WIDTHS = [480, 800, 1200]

# Comments
COMMENTS_MAX_DEPTH = env.int("COMMENTS_MAX_DEPTH", default=5)
COMMENTS_REPORTS_TO_HOLD = env.int("COMMENTS_REPORTS_TO_HOLD", default=3)
# Close comments this many days after publication; 0 keeps them open.
COMMENTS_CLOSE_AFTER_DAYS = env.int("COMMENTS_CLOSE_AFTER_DAYS", default=0)
COMMENTS_RATE_PER_MINUTE = env.int("COMMENTS_RATE_PER_MINUTE", default=5)
COMMENTS_FLOOD_SECONDS = env.int("COMMENTS_FLOOD_SECONDS", default=15)
COMMENTS_FORM_MIN_SECONDS = env.int("COMMENTS_FORM_MIN_SECONDS", default=3)
COMMENTS_FORM_MAX_SECONDS = env.int("COMMENTS_FORM_MAX_SECONDS", default=2 * 24 * 3600)
COMMENTS_LINK_DAYS = env.int("COMMENTS_LINK_DAYS", default=30)
COMMENTS_REPLY_EMAIL_MINUTES = env.int("COMMENTS_REPLY_EMAIL_MINUTES", default=30)
COMMENTS_MODERATOR_EMAIL_MINUTES = env.int("COMMENTS_MODERATOR_EMAIL_MINUTES", default=15)
# Receipts to one address per hour, however many comments name it.
COMMENTS_RECEIPTS_PER_HOUR = env.int("COMMENTS_RECEIPTS_PER_HOUR", default=3)
# Functions {email: [badge]} consulted for each thread; donors get "Supporter".
COMMENTS_BADGE_PROVIDERS = ["donations.badges.supporter_badges"]

# Donations. Amounts are in the currency's smallest unit (cents).
DONATIONS_CURRENCIES = env.list("DONATIONS_CURRENCIES", default=["USD"])
DONATIONS_MIN_AMOUNT = env.int("DONATIONS_MIN_AMOUNT", default=100)
DONATIONS_MAX_AMOUNT = env.int("DONATIONS_MAX_AMOUNT", default=1_000_000)
DONATIONS_SUGGESTED_AMOUNTS = [5, 10, 25, 50, 100]
DONATIONS_ATTEMPTS_PER_HOUR_PER_IP = env.int("DONATIONS_ATTEMPTS_PER_HOUR_PER_IP", default=10)
DONATIONS_ATTEMPTS_PER_HOUR_PER_EMAIL = env.int("DONATIONS_ATTEMPTS_PER_HOUR_PER_EMAIL", default=5)
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
# Only tests point this elsewhere (a local fake of Stripe's API).
STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com")
# Opening a checkout waits at most this many seconds to connect to Stripe, then to hear
# back, and tries again this many times (same idempotency key). The worst case,
# (retries + 1) x (connect + answer) + 1 s, must stay under the worker timeout (gunicorn: 30).
STRIPE_CONNECT_TIMEOUT = env.float("STRIPE_CONNECT_TIMEOUT", default=3)
STRIPE_TIMEOUT = env.float("STRIPE_TIMEOUT", default=10)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=1)
# So that a slow Stripe cannot hold every server thread, each process lets this many
# checkouts wait for it at once, and after it failed asks it nothing for this many seconds.
STRIPE_MAX_CONCURRENT_CHECKOUTS = env.int("STRIPE_MAX_CONCURRENT_CHECKOUTS", default=2)
STRIPE_PAUSE_AFTER_FAILURE_SECONDS = env.float("STRIPE_PAUSE_AFTER_FAILURE_SECONDS", default=30)
# The local TEST MODE provider stands in for Stripe when no keys are set; it is
# refused in production (DEBUG off) unless this says otherwise.
DONATIONS_TEST_PROVIDER = env.bool("DONATIONS_TEST_PROVIDER", default=DEBUG)

# Privacy (README: personal data). Commenters' IP addresses and browsers are erased this
# many days after posting by `manage.py erase_old_ip_addresses`, run daily from cron.
PRIVACY_KEEP_IP_DAYS = env.int("PRIVACY_KEEP_IP_DAYS", default=90)

# Security
# Admin sign-in is throttled in the database (not the cache: sign-in must survive a Redis
# outage), per address and, separately, per account. A locked account is a throttle with
# a cool-off, not a ban: it opens again SIGNIN_LOCKOUT_MINUTES after the last failure.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("SIGNIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SIGNIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
# REMOTE_ADDR, never X-Forwarded-For, which any client can write (README: deploying).
AXES_CLIENT_IP_CALLABLE = "newsroom.network.client_address"
AXES_LOCKOUT_CALLABLE = "newsroom.views.signin_locked_out"
AXES_VERBOSE = False
OTP_TOTP_ISSUER = SITE_NAME
# Where to report a vulnerability (mailto: or https: addresses), published at
# /.well-known/security.txt; none set, that address is a 404.
SECURITY_CONTACT = env.list("SECURITY_CONTACT", default=[])

# No inline script or style anywhere: the pages load their CSS and JS from our own origin.
_media_origin = "{0.scheme}://{0.netloc}".format(urlsplit(MEDIA_URL)) if "//" in MEDIA_URL else None
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *filter(None, [_media_origin])],
        "media-src": [SELF, *filter(None, [_media_origin])],
        "frame-src": [f"https://{host}" for host in ARTICLES_EMBED_HOSTS],
        "object-src": [NONE],
        "base-uri": [SELF],
        # Chromium applies form-action to the redirect that follows a POST: the donate form
        # redirects to Stripe Checkout.
        "form-action": [SELF, "https://checkout.stripe.com"],
        "frame-ancestors": [NONE],
    }
}

# LOG_FORMAT=json writes one JSON object per line with each event's fields (newsroom.logs).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "newsroom.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env("LOG_FORMAT", default="text"),
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# Errors (with the request's method and address) go to Sentry when SENTRY_DSN is set; the SDK
# comes with the optional extra: pip install "newsroom[sentry]". Readers' IP addresses,
# cookies and what they typed into forms (emails, comments) are never sent.
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    try:
        import sentry_sdk
    except ImportError:
        raise ImproperlyConfigured(
            'SENTRY_DSN is set but sentry-sdk is not installed: pip install "newsroom[sentry]".'
        ) from None
    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        send_default_pii=False,
        max_request_body_size="never",
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
