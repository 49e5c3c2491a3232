"""The count columns of a weekly snapshot and their active ≤ total pairs; pure (importer and models)."""

COUNT_FIELDS = (
    "staff_total",
    "staff_active",
    "students_total",
    "students_active",
    "parents_total",
    "parents_active",
    "officials_total",
    "officials_active",
    "sferum_total",
    "sferum_max_only",
)
# (active, total) pairs: the active count never exceeds its total.
ACTIVE_TOTAL_PAIRS = (
    ("staff_active", "staff_total"),
    ("students_active", "students_total"),
    ("parents_active", "parents_total"),
    ("officials_active", "officials_total"),
    ("sferum_max_only", "sferum_total"),
)
