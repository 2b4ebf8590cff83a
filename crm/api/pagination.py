from rest_framework.pagination import CursorPagination as DrfCursorPagination


class CursorPagination(DrfCursorPagination):
    """Opaque `next`/`previous` links, no COUNT(*): a page costs the same at row 50 or 100,000."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 200
