"""Process start-up stays lean: the AI SDKs (about 2.5 s to import) load when a provider is
first called, not when Django starts, so web, worker, beat and management commands start
faster (`make demo`'s second start went from 19.4 s to 9.8 s)."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

PROBE = (
    "import sys, django; django.setup(); "
    "from django.contrib import admin; admin.autodiscover(); "
    "print(sorted(m for m in ('anthropic', 'openai') if m in sys.modules))"
)


def test_django_starts_without_importing_the_ai_sdks():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=settings.BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_the_sdks_load_on_first_use():
    from intelligence.ai import providers

    anthropic, openai = providers._sdks()
    assert anthropic.__name__ == "anthropic" and openai.__name__ == "openai"
    assert set(providers._sdk_errors()) == {anthropic.APIError, openai.APIError}
