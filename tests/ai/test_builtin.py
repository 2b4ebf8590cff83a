"""The built-in engine: deterministic extractive and rule-based answers, and its extension point."""

from __future__ import annotations

from pydantic import BaseModel

from crm.contacts.models import Company, Contact
from crm.deals.services import deal_create
from intelligence.ai.builtin import (
    builtin_register,
    extract_entities,
    extractive_summary,
    keywords,
    record_context,
    template_fill,
)
from intelligence.ai.prompts import PromptSpec, prompt_register
from intelligence.ai.services import ai_complete, ai_stream, ai_structured

TRANSCRIPT = (
    "Hi, this is Dana from Acme Roofing. We talked about the roof replacement last week. "
    "The weather has been strange lately. The roof replacement quote is $14,500 and the "
    "warranty on the roof is ten years. My kids love the new park nearby. I will send the "
    "roof contract on Friday; call me at (407) 555-0188 or write dana@acme.test."
)


def test_extractive_summary_picks_the_topical_sentences_in_order():
    summary = extractive_summary(TRANSCRIPT, max_sentences=2)
    assert summary == extractive_summary(TRANSCRIPT, max_sentences=2)  # deterministic
    assert "roof replacement quote is $14,500" in summary
    assert "park" not in summary and "weather" not in summary


def test_rules_extract_contact_details_and_keywords():
    found = extract_entities(TRANSCRIPT)
    assert found["emails"] == ["dana@acme.test"]
    assert found["phones"] == ["(407) 555-0188"]
    assert found["amounts"] == ["$14,500"]
    assert "Friday" in found["dates"]
    assert keywords(TRANSCRIPT)[0] == "roof"


def test_template_filled_from_crm_data(in_alpha):
    company = Company.objects.create(name="Acme Roofing", industry="roofing")
    contact = Contact.objects.create(first_name="Dana", last_name="Ruiz", company=company)
    context = record_context(contact)
    text = template_fill(
        "Hi {{ contact.first_name }}, thanks for choosing {{ company.name }}{{ missing.value }}!",
        context,
    )
    assert text == "Hi Dana, thanks for choosing Acme Roofing!"


def test_a_deal_is_grounded_in_its_primary_contact_and_its_own_company(in_alpha):
    theirs = Company.objects.create(name="Ruiz Household")
    buyer = Company.objects.create(name="Acme Roofing", industry="roofing")
    dana = Contact.objects.create(first_name="Dana", last_name="Ruiz", company=theirs)
    deal = deal_create(name="Roof", company=buyer, primary_contact=dana, amount=14500)
    context = record_context(deal)
    assert context["contact"]["name"] == "Dana Ruiz"
    assert context["company"]["name"] == "Acme Roofing"
    assert context["stage"] == deal.stage.name and context["amount"] == deal.amount


class Reply(BaseModel):
    greeting: str
    length: int


def _reply_handler(request) -> Reply:
    name = request.variables["name"]
    return Reply(greeting=f"Hello {name}", length=len(name))


prompt_register(
    PromptSpec(
        key="test_feature.reply",
        feature="test_feature",
        template="Greet {{ name }}",
        variables=("name",),
    )
)
builtin_register("test_feature.reply", _reply_handler)


def test_a_feature_registers_its_own_offline_implementation(in_alpha):
    result = ai_structured(
        feature="test_feature",
        prompt_key="test_feature.reply",
        variables={"name": "Dana"},
        schema=Reply,
    )
    assert result.data == {"greeting": "Hello Dana", "length": 4}
    assert result.engine == "Built-in engine" and result.fallback_reason == ""


def test_offline_default_without_any_configuration(in_alpha):
    result = ai_complete(
        feature="summary",
        prompt_key="summary.text",
        variables={"text": TRANSCRIPT, "max_sentences": 1},
    )
    assert result.ok and result.engine == "Built-in engine" and result.cost_usd == 0
    stream = ai_stream(
        feature="summary",
        prompt_key="summary.text",
        variables={"text": TRANSCRIPT, "max_sentences": 1},
    )
    assert "".join(stream) == result.text and stream.result.engine == "Built-in engine"
