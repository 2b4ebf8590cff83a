"""One row per searchable record (contact, company, lead, deal) in the workspace's schema.

The embedded PostgreSQL has no pg_trgm, so typo tolerance is done by hand: `trigrams` holds the
distinct 3-grams of the record's words (pg_trgm's padding: "  j", " jo", "joh", …) under a GIN
index, and `document` is a 'simple' tsvector for whole-word matches. `keys` are exact-match
keys (E.164 phones, national digits, emails) that rank first."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models


class EntityType(models.TextChoices):
    CONTACT = "contact", "Contacts"
    COMPANY = "company", "Companies"
    LEAD = "lead", "Leads"
    DEAL = "deal", "Deals"


class SearchEntry(models.Model):
    entity_type = models.CharField(max_length=8, choices=EntityType.choices)
    entity_id = models.BigIntegerField()
    title = models.CharField(max_length=255)
    subtitle = models.CharField(max_length=500, blank=True)
    url = models.CharField(max_length=255)
    # The records baked into this row's text: when they change or go, this row is redone.
    contact_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    company_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    text = models.TextField(help_text="normalised: lowercase words")
    keys = ArrayField(models.CharField(max_length=254), default=list, blank=True)
    trigrams = ArrayField(models.CharField(max_length=3), default=list, blank=True)
    document = models.GeneratedField(
        expression=SearchVector("text", config="simple"),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["entity_type", "entity_id"], name="search_entry_unique_entity"
            )
        ]
        indexes = [
            GinIndex(fields=["trigrams"], name="search_entry_trigrams"),
            GinIndex(fields=["keys"], name="search_entry_keys"),
            GinIndex(fields=["document"], name="search_entry_document"),
        ]

    def __str__(self) -> str:
        return f"{self.entity_type} #{self.entity_id}: {self.title}"
