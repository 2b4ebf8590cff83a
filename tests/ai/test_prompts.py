"""The prompt registry: code defaults, versions per workspace, variables, test cases."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from crm.team.models import Role
from intelligence.ai.models import Prompt, PromptTestCase
from intelligence.ai.prompts import PromptError, PromptSpec, prompt_render, prompt_resolve
from intelligence.ai.services import (
    ai_complete,
    prompt_default_restore,
    prompt_tests_run,
    prompt_version_activate,
    prompt_version_create,
)

from .conftest import ANTHROPIC, anthropic_text, configure, make_provider


def test_code_default_until_a_workspace_edits_it(in_alpha, stub):
    assert prompt_resolve("summary.text").version_label == "default-r1"
    v1 = prompt_version_create(
        key="summary.text",
        system="Be brief.",
        template="{{ max_sentences }} sentences max: {{ text }}",
    )
    configure(primary=make_provider())
    stub.queue(ANTHROPIC, anthropic_text("ok"))

    result = ai_complete(
        feature="summary",
        prompt_key="summary.text",
        variables={"text": "Roof.", "max_sentences": 1},
    )

    assert result.prompt_version == "v1" and v1.version == 1
    body = stub.bodies(ANTHROPIC)[0]
    assert (
        body["system"] == "Be brief." and body["messages"][0]["content"] == "1 sentences max: Roof."
    )


def test_one_active_version_and_going_back_to_the_default(in_alpha):
    v1 = prompt_version_create(key="summary.text", template="A {{ text }} {{ max_sentences }}")
    v2 = prompt_version_create(key="summary.text", template="B {{ text }} {{ max_sentences }}")
    assert list(Prompt.objects.filter(is_active=True).values_list("version", flat=True)) == [2]
    prompt_version_activate(prompt=v1)
    assert prompt_resolve("summary.text").version_label == "v1"
    assert not Prompt.objects.get(pk=v2.pk).is_active
    prompt_default_restore(key="summary.text")
    assert prompt_resolve("summary.text").version_label == "default-r1"
    assert Prompt.objects.count() == 2  # versions are kept


@pytest.mark.parametrize(
    "template, variables, message",
    [
        ("{{ text }} {{ nmae }}", None, "not declared"),
        ("{{ text }}", None, "not used"),
        ("{{ text }}", ["text", "text"], "twice"),
    ],
)
def test_a_version_must_use_exactly_its_declared_variables(in_alpha, template, variables, message):
    with pytest.raises(ValidationError) as caught:
        prompt_version_create(key="summary.text", template=template, variables=variables)
    assert message in str(caught.value)
    assert not Prompt.objects.exists()


def test_rendering_with_missing_or_extra_variables_is_a_clear_error(in_alpha):
    prompt = prompt_resolve("summary.text")
    with pytest.raises(PromptError, match="missing variables max_sentences"):
        prompt_render(prompt, {"text": "x"})
    with pytest.raises(PromptError, match="undeclared variables tone"):
        prompt_render(prompt, {"text": "x", "max_sentences": 1, "tone": "warm"})
    with pytest.raises(PromptError, match="Unknown prompt"):
        ai_complete(feature="summary", prompt_key="nope.never", variables={})


def test_a_code_default_with_a_typo_cannot_even_be_declared():
    with pytest.raises(PromptError):
        PromptSpec(key="x.y", feature="x", template="Hi {{ nmae }}", variables=("name",))


def test_test_cases_run_with_the_builtin_engine_when_no_key(in_alpha):
    configure()
    PromptTestCase.objects.create(
        key="summary.text",
        name="short",
        max_chars=10,
        variables={"text": "One long sentence here. Two.", "max_sentences": 1},
    )
    PromptTestCase.objects.create(key="summary.text", name="bad vars", variables={"txt": "x"})

    outcomes = {o.case: o for o in prompt_tests_run(key="summary.text")}

    assert outcomes["keeps the budget"].passed  # declared with the code default
    assert outcomes["keeps the budget"].engine == "Built-in engine"
    assert not outcomes["short"].passed and "characters > 10" in outcomes["short"].detail
    assert not outcomes["bad vars"].passed and "missing variables" in outcomes["bad vars"].detail


def test_test_cases_run_against_a_chosen_version_with_the_workspace_engine(in_alpha, stub):
    configure(primary=make_provider())
    version = prompt_version_create(
        key="summary.text", activate=False, template="Sum up {{ text }} in {{ max_sentences }}"
    )
    stub.queue(ANTHROPIC, anthropic_text("Maria's budget is $12,000."))
    [outcome] = prompt_tests_run(prompt=version)
    assert outcome.passed and outcome.engine == "Claude (claude-sonnet-4-6)"
    assert stub.bodies(ANTHROPIC)[0]["messages"][0]["content"].startswith("Sum up Called Maria")


def test_admin_runs_test_cases_and_shows_pass_fail(alpha):
    admin = alpha.make_user(email="prompt-admin@alpha.test", role=Role.ADMIN)
    client = alpha.logged_in_client(admin)
    response = client.get("/admin/intelligence_ai/prompt/run-tests/summary.text/")
    assert response.status_code == 200
    assert b"keeps the budget" in response.content and b"PASS" in response.content
    listing = client.get("/admin/intelligence_ai/prompt/")
    assert listing.status_code == 200 and b"summary.text" in listing.content


def test_admin_creates_a_version_and_refuses_an_undeclared_placeholder(alpha):
    manager = alpha.make_user(email="prompt-mgr@alpha.test", role=Role.MANAGER)
    client = alpha.logged_in_client(manager)
    add = "/admin/intelligence_ai/prompt/add/"
    assert b"You summarise sales notes" in client.get(add + "?key=summary.text").content
    bad = client.post(
        add,
        {
            "key": "summary.text",
            "template": "{{ text }} {{ oops }}",
            "variables_text": "",
            "activate": "on",
        },
    )
    assert bad.status_code == 200 and b"oops" in bad.content
    good = client.post(
        add,
        {
            "key": "summary.text",
            "system": "S",
            "template": "{{ max_sentences }}: {{ text }}",
            "variables_text": "",
            "notes": "shorter",
            "activate": "on",
        },
    )
    assert good.status_code == 302
    with schema_context(alpha.schema):
        assert prompt_resolve("summary.text").version_label == "v1"
        assert Prompt.objects.get().created_by_id == manager.pk


def test_prompt_versions_are_per_workspace(alpha, beta):
    with schema_context(alpha.schema):
        prompt_version_create(key="summary.text", template="ALPHA {{ text }} {{ max_sentences }}")
        assert prompt_resolve("summary.text").version_label == "v1"
    with schema_context(beta.schema):
        assert prompt_resolve("summary.text").version_label == "default-r1"
        assert not Prompt.objects.exists()
