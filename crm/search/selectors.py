"""Reading the search index: one SQL query per search, whatever the workspace's size."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from .models import EntityType, SearchEntry
from .text import query_terms, trigrams_of

MIN_COVERAGE = 0.4  # share of the query's 3-grams a row must have ("jonh" vs "john": 2/5)

# Ranking: exact phone/email keys first, then trigram coverage of the query (typos), the
# row's own similarity (shorter, closer rows win) and the full-text rank (whole words).
_SQL = f"""
WITH q AS (
    SELECT %(grams)s::varchar[] AS grams, %(keys)s::varchar[] AS keys,
           websearch_to_tsquery('simple', %(words)s) AS tsq
), scored AS (
    SELECT e.entity_type, e.entity_id, e.title, e.subtitle, e.url,
           (e.keys && q.keys) AS exact,
           ts_rank(e.document, q.tsq) AS fts,
           hits.n::float / greatest(cardinality(q.grams), 1) AS coverage,
           hits.n::float / greatest(cardinality(q.grams) + cardinality(e.trigrams) - hits.n, 1)
               AS similarity
    FROM {SearchEntry._meta.db_table} e CROSS JOIN q
    CROSS JOIN LATERAL (
        SELECT count(*) AS n FROM unnest(e.trigrams) g WHERE g = ANY(q.grams)
    ) hits
    WHERE (e.trigrams && q.grams OR e.document @@ q.tsq OR e.keys && q.keys)
      AND (%(types)s::varchar[] IS NULL OR e.entity_type = ANY(%(types)s::varchar[]))
)
SELECT entity_type, entity_id, title, subtitle, url, exact,
       coverage + similarity + fts AS score
FROM scored
WHERE exact OR fts > 0 OR coverage >= {MIN_COVERAGE}
ORDER BY exact DESC, score DESC, title, entity_id
LIMIT %(limit)s
"""


@dataclass(frozen=True)
class SearchHit:
    entity_type: str
    entity_id: int
    title: str
    subtitle: str
    url: str
    exact: bool
    score: float


def search_query(
    *, q: str, region: str = "US", limit: int = 50, types: list[str] | None = None
) -> list[SearchHit]:
    """The current workspace's best matches for what the user typed, best first.
    An empty or meaningless query returns [] without touching the database."""
    tokens, keys = query_terms(q, region=region)
    if not tokens and not keys:
        return []
    params = {
        "grams": trigrams_of(tokens),
        "keys": keys,
        "words": " ".join(tokens),
        "types": types,
        "limit": max(1, min(limit, 200)),
    }
    with connection.cursor() as cursor:
        cursor.execute(_SQL, params)
        return [SearchHit(*row) for row in cursor.fetchall()]


def search_grouped(hits: list[SearchHit]) -> list[tuple[str, list[SearchHit]]]:
    """Hits by type (contacts, companies, leads, deals), each group in rank order; the group
    holding the best hit comes first."""
    labels = dict(EntityType.choices)
    groups: dict[str, list[SearchHit]] = {}
    for hit in hits:
        groups.setdefault(hit.entity_type, []).append(hit)
    return [(labels.get(kind, kind), rows) for kind, rows in groups.items()]
