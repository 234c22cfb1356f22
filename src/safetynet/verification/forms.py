"""The 授权书 form of the verification pages: what the family signed, as the officer sees it on
paper, with the signed scan. The rules (signer and members on the household that day, known
sources, at most a year, not expired) are the service's; refusals come back to their fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from safetynet.core.errors import SafetyNetError

#: A service refusal's code → the field it belongs at.
CODE_FIELDS = {
    "authorisation.signer": "signed_by",
    "authorisation.persons": "persons",
    "authorisation.sources": "sources",
    "authorisation.validity": "valid_until",
}


class AuthorisationForm(forms.Form):
    signed_by = forms.TypedChoiceField(
        label=_("签署人"), coerce=int, widget=forms.RadioSelect,
        error_messages={"required": _("请选择在授权书上签字的家庭成员")},
    )
    persons = forms.TypedMultipleChoiceField(
        label=_("授权核对的家庭成员（按授权书勾选）"), coerce=int, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请勾选授权书上列明的家庭成员")},
    )
    sources = forms.MultipleChoiceField(
        label=_("授权核对的数据项（按授权书勾选）"), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请勾选授权书上列明的数据项")},
    )
    signed_on = forms.DateField(
        label=_("签署日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("请填写签署日期"), "invalid": _("日期格式不对")},
    )
    valid_until = forms.DateField(
        label=_("有效期至（不超过一年）"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("请填写有效期"), "invalid": _("日期格式不对")},
    )
    scan = forms.FileField(
        label=_("签字授权书扫描件或照片（PDF、JPG、PNG，10MB 以内）"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
        error_messages={"required": _("请上传签字的授权书扫描件")},
    )

    def __init__(self, *args, members=(), sources=(), **kwargs):
        super().__init__(*args, **kwargs)
        people = [(m.person_id, f"{m.person.name}（{m.get_relationship_display()}）") for m in members]
        self.fields["signed_by"].choices = people
        self.fields["persons"].choices = people
        self.fields["sources"].choices = [(s.name, s.label) for s in sources]

    def show_refusal(self, error: SafetyNetError) -> None:
        field = CODE_FIELDS.get(error.code)
        if field is None and error.code.startswith("authorisation.document"):
            field = "scan"
        self.add_error(field, error.message)
