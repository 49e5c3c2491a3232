"""Rows that pages read by the hundred, fetched without Django's per-row iteration."""

from django.db.models.utils import create_namedtuple_class

from sferum_migration.db import plain_rows


def named_rows(rows) -> list[tuple]:
    """A ``values_list(*fields)`` queryset's rows as the named tuples ``named=True`` would give
    (the same class), fetched at once by ``plain_rows``. Only for fields Django does not convert
    on PostgreSQL: a JSON column would come back as text, so one is refused."""
    model = rows.model
    for name in rows._fields:
        if "__" not in name and hasattr(model._meta.get_field(name), "from_db_value"):
            raise ValueError(f"{model.__name__}.{name} needs Django's conversion; read it with named=True")
    tuple_class, new = create_namedtuple_class(*rows._fields), tuple.__new__
    return [new(tuple_class, row) for row in plain_rows(rows)]
