"""The Russian sentences of the warnings (written when read) and of what each check looks for."""

import math
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from ..choices import KpiCode, WarningCode
from ..importers import column_label
from .thresholds import QualityThresholds

if TYPE_CHECKING:  # findings imports this module for the sentences
    from .findings import QualityWarning

NBSP = "\u00a0"


def _same_as_previous_message(w: "QualityWarning") -> str:
    before, examples = w.detail
    return _(
        "%(equal)s из %(rows)s строк (%(share)s) до последней цифры совпадают с данными тех же организаций "
        "за неделю с %(before)s: похоже, повторно отправлен файл прошлой недели. Например: %(examples)s."
    ) % {
        "equal": int(w.previous),
        "rows": int(w.new),
        "share": _percent(w.previous / w.new, digits=0),
        "before": before.strftime("%d.%m.%Y"),
        "examples": examples,
    }


def _base_jump_message(w: "QualityWarning") -> str:
    return _("«%(column)s»: %(old)s → %(new)s (%(change)s за неделю). Проверьте численность.") % {
        "column": column_label(w.column),
        "old": _number(w.previous),
        "new": _number(w.new),
        "change": _relative_change(w.previous, w.new),
    }


def _drop_to_zero_message(w: "QualityWarning") -> str:
    return _("«%(column)s»: %(old)s на прошлой неделе, 0 сейчас. Не остался ли столбец пустым?") % {
        "column": column_label(w.column),
        "old": _number(w.previous),
    }


def _outlier_message(w: "QualityWarning") -> str:
    shift, weeks = w.detail
    if abs(shift) >= 0.005:
        peers = _("у организаций того же типа в регионе за неделю %(shift)s п. п.") % {"shift": _points(shift)}
    else:
        peers = _("у организаций того же типа в регионе без заметных изменений")
    return _("«%(kpi)s»: %(value)s при обычных для организации %(median)s (медиана за %(weeks)s нед.; %(peers)s).") % {
        "kpi": KpiCode(w.column).label,
        "value": _percent(w.new),
        "median": _percent(w.previous),
        "weeks": weeks,
        "peers": peers,
    }


def _identical_rows_message(w: "QualityWarning") -> str:
    return _(
        "У %(n)s организаций одинаковые значения всех показателей: не скопированы ли строки? Например: %(examples)s."
    ) % {"n": int(w.new), "examples": w.detail[0]}


def _region_swing_message(w: "QualityWarning") -> str:
    pace = w.detail[0] if w.detail else None
    values = {
        "kpi": KpiCode(w.column).label,
        "new": _percent(w.new),
        "old": _percent(w.previous),
        "delta": _points(w.new - w.previous),
    }
    if pace is None:  # the region has no pace yet (its first weeks): say so, not «— п. п.»
        return _(
            "Показатель региона «%(kpi)s» с этим файлом — %(new)s, неделей раньше — %(old)s "
            "(%(delta)s п. п. за неделю; прежнего темпа для сравнения ещё нет)."
        ) % values
    return _(
        "Показатель региона «%(kpi)s» с этим файлом — %(new)s, неделей раньше — %(old)s "
        "(%(delta)s п. п. за неделю; неделей раньше %(pace)s п. п.)."
    ) % {**values, "pace": _points(pace)}


_MESSAGES = {
    WarningCode.SAME_AS_PREVIOUS: _same_as_previous_message,
    WarningCode.BASE_JUMP: _base_jump_message,
    WarningCode.DROP_TO_ZERO: _drop_to_zero_message,
    WarningCode.OUTLIER: _outlier_message,
    WarningCode.IDENTICAL_ROWS: _identical_rows_message,
    WarningCode.REGION_SWING: _region_swing_message,
}


def warning_explanation(code: str, thresholds: QualityThresholds) -> str:
    """What a check looks for, in one Russian sentence with its thresholds (pages, README)."""
    t = thresholds
    texts = {
        WarningCode.SAME_AS_PREVIOUS: _(
            "Не менее %(share)s строк файла по региону совпадают с прошлой неделей тех же организаций до последней "
            "цифры — похоже на повторно отправленный файл."
        )
        % {"share": _percent(t.same_as_previous_share, digits=0)},
        WarningCode.BASE_JUMP: _(
            "Численность («… всего») изменилась за неделю больше чем на %(share)s и больше чем на %(people)s человек."
        )
        % {"share": _percent(t.base_jump_share, digits=0), "people": t.base_jump_people},
        WarningCode.DROP_TO_ZERO: _(
            "Число активных (не меньше %(people)s человек и %(share)s численности) на прошлой неделе стало нулём — "
            "часто это незаполненный столбец."
        )
        % {"people": t.drop_to_zero_min_previous, "share": _percent(t.drop_to_zero_min_share, digits=0)},
        WarningCode.OUTLIER: _(
            "Показатель организации далеко от её обычных значений за %(weeks)s недель (модифицированная z-оценка "
            "больше %(z)s и отклонение больше %(change)s п. п.) с поправкой на то, как за неделю изменились "
            "организации того же типа в регионе."
        )
        % {
            "weeks": t.outlier_weeks,
            "z": f"{t.outlier_z:g}".replace(".", ","),
            "change": _points(t.outlier_min_change, sign=False),
        },
        WarningCode.IDENTICAL_ROWS: _(
            "У %(n)s и более организаций файла одинаковые значения всех показателей — похоже на скопированные строки."
        )
        % {"n": t.identical_rows},
        WarningCode.REGION_SWING: _(
            "Показатель региона с этим файлом изменился за неделю больше чем на %(points)s п. п. — и на столько же "
            "больше, чем за неделю до того."
        )
        % {"points": _points(t.region_swing, sign=False)},
    }
    return texts[code]


def _percent(value: float, *, digits: int = 1) -> str:
    """«48,6 %», cut rather than rounded as the pages show it (99,97 % under a target of 100 % is
    not «100,0 %»)."""
    scale = 10**digits
    shown = math.floor(value * 100 * scale + 1e-9) / scale
    return f"{shown:.{digits}f}{NBSP}%".replace(".", ",")


def _number(value: float) -> str:
    """«12 000»: thousands apart by a non-breaking space."""
    return f"{round(value):,}".replace(",", NBSP)


def _points(value: float, *, sign: bool = True) -> str:
    text = f"{value * 100:{'+' if sign else ''}.1f}".replace(".", ",")
    return text.replace("-", "−")


def _relative_change(old: float, new: float) -> str:
    if not old:
        return _("с нуля")
    return f"{(new - old) / old * 100:+,.0f}{NBSP}%".replace(",", NBSP).replace("-", "−")
