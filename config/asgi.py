"""ASGI entry point: HTTP through Django, websockets through the workspace middleware."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from crm.team.routing import websocket_urlpatterns  # noqa: E402
from crm.tenancy.channels import WorkspaceWebsocketMiddleware  # noqa: E402
from intelligence.language.drafting_consumers import drafting_websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            WorkspaceWebsocketMiddleware(
                URLRouter(websocket_urlpatterns + drafting_websocket_urlpatterns())
            )
        ),
    }
)
