"""What the applicant reads about each step, in plain Chinese (通俗表述), translated when read."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _lazy

from safetynet.cases.models import Programme, Status

#: Who each programme is for, in one plain line (on the application form).
PROGRAMME_WHO: dict[str, Promise] = {
    Programme.DIBAO: _lazy("家庭人均收入低于当地低保标准、财产也不多的家庭，每月补足到标准。"),
    Programme.TEKUN: _lazy("没有劳动能力、没有收入、也没有能赡养扶养的亲人的老人、残疾人和未成年人。"),
    Programme.LOW_INCOME_MARGIN: _lazy("收入略高于低保标准（一般不超过1.5倍）的困难家庭，可享受专项帮扶。"),
    Programme.TEMPORARY_ASSISTANCE: _lazy("遇到火灾、重病、事故等突发困难，一时生活难以为继的家庭，一次性救助。"),
    Programme.MEDICAL_ASSISTANCE: _lazy("看病自付费用多、负担不起的困难家庭，医保报销后再帮一部分。"),
    Programme.DISABILITY_SUBSIDIES: _lazy("持残疾人证的困难残疾人（生活补贴）和重度残疾人（护理补贴）。"),
}

#: ``status: (where the application is, what happens next)``
APPLICANT_STEPS: dict[str, tuple[Promise, Promise]] = {
    Status.SUBMITTED: (_lazy("您的申请已提交，正在等待街道（乡镇）受理。"), _lazy("工作人员将审查材料并决定是否受理。")),
    Status.ACCEPTED: (_lazy("您的申请已受理。"), _lazy("我们将在您授权后核对家庭收入和财产情况。")),
    Status.NOT_ACCEPTED: (_lazy("您的申请未被受理。"), _lazy("如不同意，可以申请复查。")),
    Status.EMERGENCY_AID: (_lazy("已先行为您发放急难救助。"), _lazy("之后我们会补充核对家庭情况。")),
    Status.VERIFICATION: (_lazy("正在核对您家庭的收入和财产情况。"), _lazy("核对完成后，工作人员会上门了解情况或进入审核。")),
    Status.HOME_VISIT: (_lazy("工作人员将到您家中了解实际情况（入户调查）。"), _lazy("请保持电话畅通，入户后进入审核。")),
    Status.REVIEW: (_lazy("您的申请正在审核。"), _lazy("审核通过后将在社区公示或作出决定。")),
    Status.PUBLIC_NOTICE: (_lazy("您的申请正在社区公示（姓名和证件号已部分隐藏）。"), _lazy("公示期满且无异议后作出审批决定。")),
    Status.PENDING_CONFIRMATION: (
        _lazy("数据核对提示可能不符合条件，正在由工作人员人工复核，尚未作出决定。"),
        _lazy("工作人员会结合实际情况确认，必要时上门了解。"),
    ),
    Status.APPROVED: (_lazy("您的申请已批准。"), _lazy("救助金将按月（或一次性）发放。")),
    Status.REFUSED: (_lazy("您的申请未获批准。"), _lazy("如不同意，可以申请复查。")),
    Status.ACTIVE: (_lazy("您正在享受救助。"), _lazy("我们会定期复核家庭情况，情况变化请及时告知。")),
    Status.PERIODIC_REVIEW: (_lazy("正在对您家庭进行定期复核。"), _lazy("复核后将决定继续、调整或停止救助。")),
    Status.SUSPENDED: (_lazy("您的救助金暂停发放。"), _lazy("请按通知提供材料，核实后恢复或调整。")),
    Status.GRADUAL_EXIT: (
        _lazy("因家庭成员就业增收，您的救助进入渐退期，期间继续领取。"),
        _lazy("渐退期满后停止发放。"),
    ),
    Status.EXITED: (_lazy("您的救助已停止。"), _lazy("如不同意，可以申请复查；情况变化后可以重新申请。")),
    Status.APPEALED: (_lazy("您的复查申请已收到。"), _lazy("县级民政部门将重新审查并答复。")),
}

APPEAL_HOW_TO = _lazy(
    "如对决定有异议，可在收到决定之日起60日内，通过本平台“申请复查”、到街道（乡镇）窗口，"
    "或向县级民政部门提出复查；也可依法申请行政复议或提起行政诉讼。"
)
