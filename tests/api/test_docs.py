"""OpenAPI schema and the browsable docs, served from local (sidecar) assets."""

import re


def test_schema_lists_the_resources(alpha):
    response = alpha.client().get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/v1/leads/",
        "/api/v1/leads/{id}/transition/",
        "/api/v1/deals/{id}/move/",
        "/api/v1/contacts/bulk/",
        "/api/v1/contacts/{id}/merge/",
    ):
        assert path in schema["paths"], path
    assert schema["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"


def test_swagger_ui_uses_no_cdn(alpha):
    for url in ("/api/docs/",):
        response = alpha.client().get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert "drf_spectacular_sidecar" in html
        external = re.findall(r"""(?:src|href)=["'](https?://[^"']+)""", html)
        assert external == [], external
        for cdn in ("cdn.", "jsdelivr", "unpkg", "cdnjs"):
            assert cdn not in html
