from ninja import Router, Schema
from ninja.pagination import paginate

from safetynet.core.pagination import BoundedLimitOffset
from safetynet.regions.selectors import region_get_for_user, region_list_for_user

router = Router()


class RegionOut(Schema):
    code: str
    name: str
    level: int
    parent_code: str | None
    urban: bool

    @staticmethod
    def resolve_parent_code(obj) -> str | None:
        return obj.parent.code if obj.parent_id else None


@router.get("", response=list[RegionOut], summary="区划列表（仅本辖区）")
@paginate(BoundedLimitOffset)
def region_list(request, parent: str | None = None):
    return region_list_for_user(user=request.user, parent_code=parent).select_related("parent")


@router.get("/{code}", response=RegionOut, summary="区划详情")
def region_detail(request, code: str):
    return region_get_for_user(user=request.user, code=code)
