"""Settings of the job service, all read from the environment (see README, "Configuration").

One flat file: no per-environment layers. Every variable is parsed strictly by scale.env.
"""

from pathlib import Path

from scale.env import (
    database,
    env_bool,
    env_choice,
    env_directory,
    env_float,
    env_int,
    env_list,
    env_str,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str('SCALE_VAR_DIR', str(BASE_DIR / 'var'))).resolve()

DEBUG = env_bool('DEBUG', False)
SECRET_KEY = secret_key('SECRET_KEY', VAR_DIR / 'secret_key')
ALLOWED_HOSTS = env_list('ALLOWED_HOSTS', ['localhost', '127.0.0.1', '[::1]'])
CSRF_TRUSTED_ORIGINS = env_list('CSRF_TRUSTED_ORIGINS', [])

# Behind a reverse proxy (nginx, a TLS terminator) that sets X-Forwarded-Host/-Proto, the absolute
# URLs we build (next/previous links, Location headers) name the public host and scheme.
SCALE_BEHIND_PROXY = env_bool('SCALE_BEHIND_PROXY', False)
USE_X_FORWARDED_HOST = USE_X_FORWARDED_PORT = SCALE_BEHIND_PROXY
SECURE_PROXY_SSL_HEADER = ('HTTP_X_FORWARDED_PROTO', 'https') if SCALE_BEHIND_PROXY else None

DATABASES = {'default': database('DATABASE_URL', f'sqlite:///{VAR_DIR / "scale.sqlite3"}')}
DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'
# Covering indexes (INCLUDE) are a PostgreSQL feature; on SQLite they are plain indexes, as intended.
SILENCED_SYSTEM_CHECKS = ['models.W040']

# Reads need a signed-in user unless this is on; writes always need a staff user.
SCALE_PUBLIC_READ_API = env_bool('SCALE_PUBLIC_READ_API', False)

# A build of the Scale web UI (ngageoint/scale-ui's dist/developer) served on our own origin by
# scale.web_ui; unset, the server has no UI routes. Browsers sign in at /accounts/login/.
SCALE_UI_DIR = env_directory(
    'SCALE_UI_DIR',
    must_contain=('index.html',),
    hint=': point it at a build of the Scale web UI (the dist/developer directory of ngageoint/scale-ui)',
)
LOGIN_URL = '/accounts/login/'
LOGIN_REDIRECT_URL = '/' if SCALE_UI_DIR else '/v6/accounts/profile/'

# Nodes and the scheduler (seconds). A node whose agent has not heartbeaten for SCALE_NODE_TIMEOUT is
# OFFLINE and its running executions fail with node-lost; agents heartbeat every
# SCALE_HEARTBEAT_INTERVAL; the scheduler passes every SCALE_SCHEDULER_INTERVAL and looks at most at
# SCALE_SCHEDULER_WINDOW queued jobs a pass.
SCALE_NODE_TIMEOUT = env_float('SCALE_NODE_TIMEOUT', 30.0, minimum=1.0)
SCALE_HEARTBEAT_INTERVAL = env_float('SCALE_HEARTBEAT_INTERVAL', 5.0, minimum=0.1)
SCALE_SCHEDULER_INTERVAL = env_float('SCALE_SCHEDULER_INTERVAL', 1.0, minimum=0.05)
SCALE_SCHEDULER_WINDOW = env_int('SCALE_SCHEDULER_WINDOW', 5000, minimum=1)
# /v6/status/ answers 503 when the scheduler has not finished a pass for this long (default: 30 s or
# 10 passes, whichever is longer); the scheduler keeps a minute-by-minute job load for this many days.
SCALE_SCHEDULER_STALE_SECONDS = env_float(
    'SCALE_SCHEDULER_STALE_SECONDS', max(30.0, 10 * SCALE_SCHEDULER_INTERVAL), minimum=1.0
)
SCALE_LOAD_RETENTION_DAYS = env_int('SCALE_LOAD_RETENTION_DAYS', 30, minimum=1, maximum=3650)
# Bulk cancel/requeue: jobs per batch (one transaction each), and how long a task's claim on an
# operation lasts without progress before another worker takes the operation over.
SCALE_BULK_BATCH_SIZE = env_int('SCALE_BULK_BATCH_SIZE', 1000, minimum=1, maximum=100_000)
SCALE_BULK_LEASE_SECONDS = env_float('SCALE_BULK_LEASE_SECONDS', 60.0, minimum=1.0)

INSTALLED_APPS = [
    'django.contrib.admin',
    'django.contrib.auth',
    'django.contrib.contenttypes',
    'django.contrib.sessions',
    'django.contrib.messages',
    'django.contrib.staticfiles',
    'rest_framework',
    'rest_framework.authtoken',
    'django_filters',
    'drf_spectacular',
    'drf_spectacular_sidecar',
    'scale',
    'job',  # before django_tasks_db: job's db_worker command (recovering bulk operations) wins
    'recipe',
    'batch',
    'node',
    'django_tasks',
    'django_tasks_db',
]

MIDDLEWARE = [
    'django.middleware.security.SecurityMiddleware',
    'whitenoise.middleware.WhiteNoiseMiddleware',
    'django.contrib.sessions.middleware.SessionMiddleware',
    'django.middleware.common.CommonMiddleware',
    'django.middleware.csrf.CsrfViewMiddleware',
    'django.contrib.auth.middleware.AuthenticationMiddleware',
    'django.contrib.messages.middleware.MessageMiddleware',
    'django.middleware.clickjacking.XFrameOptionsMiddleware',
]

# Every API URL answers with and without its trailing slash (the routes say so), never by redirect:
# a redirect drops a POST body.
APPEND_SLASH = False

ROOT_URLCONF = 'scale.urls'
WSGI_APPLICATION = 'scale.wsgi.application'
ASGI_APPLICATION = 'scale.asgi.application'

TEMPLATES = [
    {
        'BACKEND': 'django.template.backends.django.DjangoTemplates',
        'DIRS': [],
        'APP_DIRS': True,
        'OPTIONS': {
            'context_processors': [
                'django.template.context_processors.request',
                'django.contrib.auth.context_processors.auth',
                'django.contrib.messages.context_processors.messages',
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {'NAME': 'django.contrib.auth.password_validation.MinimumLengthValidator'},
    {'NAME': 'django.contrib.auth.password_validation.CommonPasswordValidator'},
]

LANGUAGE_CODE = 'en-us'
TIME_ZONE = 'UTC'
USE_I18N = False
USE_TZ = True

STATIC_URL = 'static/'
STATIC_ROOT = VAR_DIR / 'static'
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True

# Bounded request bodies: one request cannot exhaust memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int('SCALE_MAX_REQUEST_BYTES', 5 * 1024 * 1024, minimum=1024)

REST_FRAMEWORK = {
    'DEFAULT_AUTHENTICATION_CLASSES': [
        # Token first: its WWW-Authenticate header turns an anonymous request into a 401, not a 403.
        'rest_framework.authentication.TokenAuthentication',
        'rest_framework.authentication.SessionAuthentication',
    ],
    'DEFAULT_PERMISSION_CLASSES': ['scale.api.permissions.ScaleAPIPermission'],
    'DEFAULT_RENDERER_CLASSES': [
        'rest_framework.renderers.JSONRenderer',
        'rest_framework.renderers.BrowsableAPIRenderer',
    ],
    'DEFAULT_PARSER_CLASSES': ['scale.api.parsers.BoundedJSONParser'],
    'DEFAULT_FILTER_BACKENDS': ['scale.api.filters.ScaleFilterBackend'],
    'DEFAULT_PAGINATION_CLASS': 'scale.api.pagination.ScalePagination',
    'DEFAULT_SCHEMA_CLASS': 'scale.api.schema.ScaleAutoSchema',
    'EXCEPTION_HANDLER': 'scale.api.exceptions.exception_handler',
    'UNAUTHENTICATED_USER': 'django.contrib.auth.models.AnonymousUser',
}

SPECTACULAR_SETTINGS = {
    'TITLE': 'Scale job service: v6 API',
    'DESCRIPTION': (
        'Job types, jobs, executions, input files and logs of a Scale-style job service. '
        'List filters are repeatable (repeated values OR, different parameters AND); '
        '`started`/`ended` on the jobs list compare against `last_modified`; a datetime value '
        'starting with P is an ISO-8601 duration meaning now minus it.'
    ),
    'VERSION': '6',
    'SERVE_INCLUDE_SCHEMA': False,
    'SERVE_PERMISSIONS': ['rest_framework.permissions.AllowAny'],
    'SWAGGER_UI_DIST': 'SIDECAR',
    'SWAGGER_UI_FAVICON_HREF': 'SIDECAR',
    'REDOC_DIST': 'SIDECAR',
    'COMPONENT_SPLIT_REQUEST': True,
    'ENUM_NAME_OVERRIDES': {
        'JobStatusEnum': 'job.choices.JobStatus',
        'ExecutionStatusEnum': 'job.choices.ExecutionStatus',
        'ErrorCategoryEnum': 'job.choices.ErrorCategory',
    },
}

TASKS = {
    'default': {
        'BACKEND': 'django_tasks_db.DatabaseBackend',
        'QUEUES': ['default'],
    }
}

LOG_LEVELS = ('DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL')
LOGGING = {
    'version': 1,
    'disable_existing_loggers': False,
    'formatters': {'plain': {'format': '%(asctime)s %(levelname)s %(name)s: %(message)s'}},
    'handlers': {'console': {'class': 'logging.StreamHandler', 'formatter': 'plain'}},
    'root': {'handlers': ['console'], 'level': env_choice('SCALE_LOG_LEVEL', 'INFO', LOG_LEVELS)},
}
