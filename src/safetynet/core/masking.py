"""Masking of personal identifiers (脱敏).

Full ID and phone numbers are shown only when a viewer states a purpose, and that view is
audited (see ``registry.selectors.person_full_record``). Everywhere else these are used.
"""


def mask_id_number(id_number: str) -> str:
    """``110101199003078515`` → ``110101********8515``: region kept, birth date hidden."""
    if not id_number:
        return ""
    if len(id_number) < 10:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678``."""
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_name(name: str) -> str:
    """``张三`` → ``张*``; ``欧阳明华`` → ``欧**华``: for public notices."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
