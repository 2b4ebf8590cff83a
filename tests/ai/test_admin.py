"""The admin: keys are write-only and encrypted, roles decide who edits, reports add up."""

from __future__ import annotations

from django_tenants.utils import schema_context

from crm.team.models import Role
from intelligence.ai.crypto import secret_decrypt
from intelligence.ai.models import AIUsage, KeySource, ProviderConnection
from intelligence.ai.services import ai_complete, ai_settings_get

from .conftest import ANTHROPIC, anthropic_text, configure, make_provider

KEY = "sk-ant-api03-VERYSECRET-abcdefghijklmnop-WXYZ"


def test_key_is_stored_encrypted_and_never_shown(alpha):
    admin = alpha.make_user(email="key-admin@alpha.test", role=Role.ADMIN)
    client = alpha.logged_in_client(admin)
    response = client.post(
        "/admin/intelligence_ai/providerconnection/add/",
        {
            "name": "Claude",
            "kind": "anthropic",
            "model": "claude-sonnet-4-6",
            "base_url": "",
            "key_source": KeySource.STORED,
            "api_key": KEY,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    with schema_context(alpha.schema):
        connection = ProviderConnection.objects.get(name="Claude")
        assert KEY not in connection.api_key_encrypted
        assert secret_decrypt(connection.api_key_encrypted) == KEY
        assert connection.api_key_hint == "…WXYZ"
        pk = connection.pk
    pages = [
        client.get(f"/admin/intelligence_ai/providerconnection/{pk}/change/"),
        client.get("/admin/intelligence_ai/providerconnection/"),
    ]
    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        assert KEY not in html and connection.api_key_encrypted not in html
        assert "VERYSECRET" not in html
    assert "stored …WXYZ" in pages[1].content.decode()

    # Saving the form without a key keeps the stored one.
    client.post(
        f"/admin/intelligence_ai/providerconnection/{pk}/change/",
        {
            "name": "Claude",
            "kind": "anthropic",
            "model": "claude-haiku-4-5",
            "base_url": "",
            "key_source": KeySource.STORED,
            "api_key": "",
            "is_active": "on",
        },
    )
    with schema_context(alpha.schema):
        connection = ProviderConnection.objects.get(pk=pk)
        assert connection.model == "claude-haiku-4-5"
        assert secret_decrypt(connection.api_key_encrypted) == KEY


def test_stored_source_without_a_key_is_a_form_error(alpha):
    admin = alpha.make_user(email="key-admin2@alpha.test", role=Role.ADMIN)
    client = alpha.logged_in_client(admin)
    response = client.post(
        "/admin/intelligence_ai/providerconnection/add/",
        {
            "name": "Local",
            "kind": "openai_compatible",
            "model": "llama3.1",
            "base_url": "",
            "key_source": KeySource.STORED,
            "api_key": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert b"Enter the API key" in response.content and b"needs its URL" in response.content
    with schema_context(alpha.schema):
        assert not ProviderConnection.objects.exists()


def test_managers_see_providers_but_only_admins_change_them(alpha):
    manager = alpha.make_user(email="ai-mgr@alpha.test", role=Role.MANAGER)
    rep = alpha.make_user(email="ai-rep@alpha.test", role=Role.REP)
    client = alpha.logged_in_client(manager)
    assert client.get("/admin/intelligence_ai/providerconnection/").status_code == 200
    assert client.get("/admin/intelligence_ai/providerconnection/add/").status_code == 403
    assert client.get("/admin/intelligence_ai/aifeature/add/").status_code == 200
    rep_client = alpha.logged_in_client(rep)
    assert rep_client.get("/admin/intelligence_ai/aiusage/").status_code in (302, 403)


def test_settings_page_is_the_single_row(alpha):
    admin = alpha.make_user(email="set-admin@alpha.test", role=Role.ADMIN)
    client = alpha.logged_in_client(admin)
    response = client.get("/admin/intelligence_ai/aisettings/")
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200 and b"Spent this month" in page.content


def test_usage_report_by_feature_user_and_day(alpha, beta, stub):
    admin = alpha.make_user(email="rep-admin@alpha.test", role=Role.ADMIN)
    with schema_context(alpha.schema):
        configure(primary=make_provider(), budget="10")
        stub.queue(ANTHROPIC, anthropic_text("x", tokens_in=1000, tokens_out=1000))
        ai_complete(
            feature="summary",
            prompt_key="summary.text",
            user=admin,
            variables={"text": "Hi.", "max_sentences": 1},
        )
        ai_complete(
            feature="extraction",
            prompt_key="extraction.details",
            variables={"text": "maria@example.com"},
        )
    client = alpha.logged_in_client(admin)
    page = client.get("/admin/intelligence_ai/aiusage/report/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="by-feature"' in html and "summary" in html and "extraction" in html
    assert "rep-admin@alpha.test" in html and "(system)" in html
    assert "$0.02" in html and "of a $10.00 budget" in html
    assert client.get("/admin/intelligence_ai/aiusage/report/?month=garbage").status_code == 200
    listing = client.get("/admin/intelligence_ai/aiusage/")
    assert listing.status_code == 200 and b"Claude (claude-sonnet-4-6)" in listing.content

    # Beta's admin sees none of alpha's usage.
    beta_admin = beta.make_user(email="rep-admin@beta.test", role=Role.ADMIN)
    beta_page = beta.logged_in_client(beta_admin).get("/admin/intelligence_ai/aiusage/report/")
    assert b"rep-admin@alpha.test" not in beta_page.content
    assert b"No AI calls this month" in beta_page.content
    with schema_context(beta.schema):
        assert AIUsage.objects.count() == 0
        assert ai_settings_get().monthly_budget_usd is None


def test_another_workspaces_provider_id_is_a_404(alpha, beta):
    with schema_context(alpha.schema):
        pk = make_provider().pk
    beta_admin = beta.make_user(email="peek@beta.test", role=Role.ADMIN)
    client = beta.logged_in_client(beta_admin)
    with schema_context(beta.schema):
        assert not ProviderConnection.objects.filter(pk=pk).exists()
    assert client.get(f"/admin/intelligence_ai/providerconnection/{pk}/change/").status_code == 404


def test_key_rotation_keeps_stored_keys_readable(in_alpha, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.LODESTAR_SECRET_ENCRYPTION_KEY = [old]
    connection = make_provider(api_key=KEY)
    settings.LODESTAR_SECRET_ENCRYPTION_KEY = [new, old]
    call_command("ai_rotate_keys", stdout=__import__("io").StringIO())
    settings.LODESTAR_SECRET_ENCRYPTION_KEY = [new]  # the old key is gone
    connection.refresh_from_db()
    assert secret_decrypt(connection.api_key_encrypted) == KEY
