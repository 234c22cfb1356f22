"""The API's list pagination: ninja's limit/offset with both bounded.

Unbounded, a client could send ``offset=10**30`` and the database would fail on an integer it
cannot hold (a 500 found by schemathesis); a limit in the millions would read a whole table.
"""

from __future__ import annotations

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

MAX_LIMIT = 500
MAX_OFFSET = 10**9


class BoundedLimitOffset(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_LIMIT, description="每页条数（1–500）")
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="跳过的条数")

    def __init__(self, **kwargs) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)


__all__ = ["MAX_LIMIT", "MAX_OFFSET", "BoundedLimitOffset"]
