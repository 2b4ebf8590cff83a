from .base import *  # noqa: F403
from .base import DATABASES, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
WHITENOISE_USE_FINDERS = True
# Concurrent runs on one database and Redis server (two developers, or CI beside a session)
# each get their own test database and their own Redis key space.
_RUN = env.str("TEST_DB_SUFFIX", default="")
DATABASES["default"]["TEST"] = {"NAME": f"test_lodestar{_RUN}"}
# Code that loads test settings outside pytest (a script, a shell) must not reach the demo's
# data: point it at a database nobody creates, so it fails instead of writing there.
DATABASES["default"]["NAME"] = "lodestar_not_for_tests"
REDIS_PREFIX = f"lodestar-test{_RUN}"
CACHES["default"]["KEY_PREFIX"] = REDIS_PREFIX  # noqa: F405
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = REDIS_PREFIX  # noqa: F405
CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": f"{REDIS_PREFIX}:"}
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Throttled attempts (sign-in, reset mail, sign-up) are counted per test process and cleared
# after each test (root conftest), so one test's attempts never count against another's, nor
# against a later run's.
CACHES["throttle"] = {  # noqa: F405
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "KEY_FUNCTION": "django_tenants.cache.make_key",
}
THROTTLE_CACHE = "throttle"
