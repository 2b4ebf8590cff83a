from django.db.models import QuerySet

from .models import CustomFieldDefinition


def custom_field_list(*, entity: str, include_archived: bool = False) -> QuerySet:
    qs = CustomFieldDefinition.objects.filter(entity=entity)
    return qs if include_archived else qs.filter(archived=False)


def custom_field_map(*, entity: str) -> dict[str, CustomFieldDefinition]:
    return {d.key: d for d in custom_field_list(entity=entity)}
