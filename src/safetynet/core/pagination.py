"""The API's list pagination: ninja's limit/offset with both bounded.

Unbounded, a client could send ``offset=10**30`` and the database would fail on an integer it
cannot hold (a 500 found by schemathesis); a limit in the millions would read a whole table.
"""

from __future__ import annotations

from typing import Annotated

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

MAX_LIMIT = 500
MAX_OFFSET = 10**9
#: The largest key a database integer column holds (SQLite and PostgreSQL bigint): a filter on
#: a larger number fails in the driver (``OverflowError``) instead of matching nothing.
MAX_ID = 2**63 - 1

#: A record id taken from a query or path: positive and within what the database can compare.
ObjectId = Annotated[int, Field(ge=1, le=MAX_ID)]


class BoundedLimitOffset(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_LIMIT, description="每页条数（1–500）")
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="跳过的条数")

    def __init__(self, **kwargs) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)


__all__ = ["MAX_ID", "MAX_LIMIT", "MAX_OFFSET", "BoundedLimitOffset", "ObjectId"]
