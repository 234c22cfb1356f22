"""Model fields for personal data at rest: :class:`EncryptedCharField` and its
:class:`BlindIndexField` (see :mod:`safetynet.core.crypto`).

``id_number = EncryptedCharField(purpose="registry.person.id_number", index="id_number_index")``
stores AES-GCM ciphertext and reads back the clear value, so ``person.id_number`` and
``values_list("person__id_number")`` are unchanged for the code above. ``filter(id_number=x)``
and ``filter(person__id_number__in=[…])`` are answered by the sibling blind-index column
(``id_number_index``, filled on every save and bulk_create), which also carries the unique
constraint. Other lookups (``contains``, ``startswith``, ordering by the clear value) cannot be
answered from ciphertext and are refused with a ``FieldError``.

A model whose encrypted field has an index takes :class:`SealedQuerySet` as its manager, so
``update(phone=…)`` and ``bulk_update(…, ["phone"])`` refresh the index in the same statement; an
``update()`` with an expression for such a field is refused (the index cannot be computed in SQL).
``filter(field="")`` needs no index: an empty value is stored empty.
"""

from __future__ import annotations

import json

from django.apps import apps
from django.core.exceptions import FieldError
from django.db import connection, models
from django.db.models.expressions import Col
from django.db.models.lookups import Exact, In, IsNull

from safetynet.core import crypto


class EncryptedCharField(models.CharField):
    """A short text encrypted at rest; ``max_length`` bounds the clear value."""

    def __init__(self, *args, purpose: str, index: str | None = None, **kwargs):
        self.purpose = purpose
        self.index = index
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["purpose"] = self.purpose
        if self.index:
            kwargs["index"] = self.index
        return name, path, args, kwargs

    def get_internal_type(self) -> str:
        return "TextField"

    def db_type(self, connection):
        return models.TextField().db_type(connection)

    def from_db_value(self, value, expression, connection):
        if value and crypto.is_sealed(value):
            return crypto.open_sealed(value, purpose=self.purpose)
        return value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, "") or crypto.is_sealed(value):
            return value
        return crypto.seal(value, purpose=self.purpose)

    def get_lookup(self, lookup_name):
        if lookup_name in ("exact", "in", "isnull"):
            return super().get_lookup(lookup_name)
        return None

    def seal_many(self, values) -> list[str]:
        """What raw bulk writers (the demo's COPY) store for ``values``: sealed, '' kept ''."""
        ring = crypto.data_ring()
        return [crypto.seal(v, purpose=self.purpose, ring=ring) if v else (v or "") for v in values]

    def index_many(self, values) -> list[str]:
        return crypto.blind_index_many(values, self.index_field().kind)

    def index_field(self) -> BlindIndexField:
        if not self.index:
            raise FieldError(f"{self.model.__name__}.{self.name} 已加密且无盲索引，不能按值查找")
        return self.model._meta.get_field(self.index)


class EncryptedJSONField(models.TextField):
    """A JSON document (a quarantined source row…) sealed whole; no lookups inside it."""

    def __init__(self, *args, purpose: str, **kwargs):
        self.purpose = purpose
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["purpose"] = self.purpose
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return json.loads(crypto.open_sealed(value, purpose=self.purpose) if crypto.is_sealed(value) else value)

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        if value is None:
            return None
        return crypto.seal(json.dumps(value, ensure_ascii=False, default=str), purpose=self.purpose)

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), ensure_ascii=False, default=str)

    def get_lookup(self, lookup_name):
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None


class EncryptedBinaryField(models.TextField):
    """Bytes (a bank file…) sealed whole, read back as bytes."""

    def __init__(self, *args, purpose: str, **kwargs):
        self.purpose = purpose
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["purpose"] = self.purpose
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return crypto.open_sealed_bytes(value, purpose=self.purpose)

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        if value is None:
            return None
        return crypto.seal_bytes(bytes(value), purpose=self.purpose)

    def get_lookup(self, lookup_name):
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None


class BlindIndexField(models.CharField):
    """The keyed HMAC of another field's clear value, recomputed on every save."""

    def __init__(self, *args, source: str, kind: str, **kwargs):
        self.source = source
        self.kind = kind
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["kind"] = self.kind
        for k in ("max_length", "editable", "blank"):
            kwargs.pop(k, None)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = crypto.blind_index(getattr(model_instance, self.source) or "", self.kind)
        setattr(model_instance, self.attname, value)
        return value


class SealedQuerySet(models.QuerySet):
    """Keeps every blind index in step with its encrypted field on ``update`` and ``bulk_update``."""

    def _indexed(self):
        return [f for f in self.model._meta.concrete_fields if isinstance(f, EncryptedCharField) and f.index]

    def update(self, **kwargs):
        for field in self._indexed():
            if field.name in kwargs and field.index not in kwargs:  # bulk_update passes both
                value = kwargs[field.name]
                if value is not None and not isinstance(value, str):
                    raise FieldError(f"{self.model.__name__}.{field.name} 已加密：只能写入确定的值，不能写入表达式")
                index = field.index_field()
                kwargs[index.name] = crypto.blind_index(value or "", index.kind)
        return super().update(**kwargs)

    update.alters_data = True

    def bulk_update(self, objs, fields, batch_size=None):
        fields = list(fields)
        for field in self._indexed():
            if field.name in fields:
                index = field.index_field()
                for obj in objs:
                    setattr(obj, index.attname, crypto.blind_index(getattr(obj, field.attname) or "", index.kind))
                if index.name not in fields:
                    fields.append(index.name)
        return super().bulk_update(objs, fields, batch_size=batch_size)

    bulk_update.alters_data = True


def _via_index(lhs):
    if not isinstance(lhs, Col):
        raise FieldError("加密字段只能按原值精确查找")
    index = lhs.target.index_field()
    return Col(lhs.alias, index), index.kind


@EncryptedCharField.register_lookup
class IndexedExact(Exact):
    def __init__(self, lhs, rhs):
        if rhs == "":  # stored empty, never sealed: compared as it is (a check constraint can ask it)
            super().__init__(lhs, rhs)
            return
        col, kind = _via_index(lhs)
        super().__init__(col, crypto.blind_index(rhs or "", kind) if isinstance(rhs, str) or rhs is None else rhs)


@EncryptedCharField.register_lookup
class IndexedIn(In):
    def __init__(self, lhs, rhs):
        col, kind = _via_index(lhs)
        if not hasattr(rhs, "query"):
            rhs = crypto.blind_index_many(list(rhs), kind)
        super().__init__(col, rhs)


EncryptedCharField.register_lookup(IsNull)


def encrypted_fields():
    """Every (model, field) that is encrypted at rest."""
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedCharField | EncryptedJSONField):
                yield model, field


def reseal_column(*, table: str, pk: str, column: str, purpose: str, index_column: str | None = None,
                  kind: str = "", using=None, batch: int = 5000) -> int:
    """Re-encrypt every value of one column not sealed under the active key (legacy clear text
    included) and refresh its blind index; returns how many rows changed. Raw SQL, so a data
    migration and ``keys rotate`` share it."""
    conn = using or connection
    ring = crypto.data_ring()
    qn = conn.ops.quote_name
    done = 0
    current = f"{crypto.PREFIX}{ring.active}:%"
    with conn.cursor() as cur:
        cur.execute(f"SELECT {qn(pk)}, {qn(column)} FROM {qn(table)} WHERE {qn(column)} <> '' AND {qn(column)} NOT LIKE %s",
                    [current])
        rows = cur.fetchall()
        for start in range(0, len(rows), batch):
            updates = []
            for key, stored in rows[start:start + batch]:
                clear = crypto.open_sealed(stored, purpose=purpose, ring=ring) if crypto.is_sealed(stored) else stored
                sealed = crypto.seal(clear, purpose=purpose, ring=ring)
                updates.append((sealed, crypto.blind_index(clear, kind), key) if index_column else (sealed, key))
            set_index = f", {qn(index_column)} = %s" if index_column else ""
            cur.executemany(f"UPDATE {qn(table)} SET {qn(column)} = %s{set_index} WHERE {qn(pk)} = %s", updates)
            done += len(updates)
    return done


def reseal_all(using=None) -> dict[str, int]:
    """``reseal_column`` over every encrypted field: after a key rotation, nothing stays under
    an old key."""
    out = {}
    for model, field in encrypted_fields():
        index = field.index_field() if getattr(field, "index", None) else None
        out[f"{model._meta.label}.{field.name}"] = reseal_column(
            table=model._meta.db_table, pk=model._meta.pk.column, column=field.column, purpose=field.purpose,
            index_column=index.column if index else None, kind=index.kind if index else "", using=using,
        )
    return out
