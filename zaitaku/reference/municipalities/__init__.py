"""Registry of Japan's 47 prefectures and 1,741 municipalities (総務省 全国地方公共団体コード).

One import path for the whole registry; the parts, one concern each:

* :mod:`.registry` — the shipped frames (:func:`load_registry`, :func:`load_prefectures`),
  :class:`CodeError` and the lookup index;
* :mod:`.codes` — :func:`normalize_code` (str/int/float → 6-digit code with check digit; the rules
  are in that module's doc), :func:`check_digit`, :func:`is_valid_code`;
* :mod:`.prefectures` — :func:`normalize_prefecture`, :func:`prefecture_name`, :func:`municipalities_in`;
* :mod:`.kinds` — :func:`registry_as_of` (中核市 as of a survey year, from designation dates);
* :mod:`.names` — :func:`resolve` (code or name → code), :func:`municipality` (its registry row),
  :func:`looks_like_municipality` (fast check used by ingest).
"""

from zaitaku.reference.municipalities.codes import check_digit, is_valid_code, normalize_code
from zaitaku.reference.municipalities.kinds import registry_as_of
from zaitaku.reference.municipalities.names import looks_like_municipality, municipality, resolve
from zaitaku.reference.municipalities.prefectures import (
    municipalities_in,
    normalize_prefecture,
    prefecture_name,
)
from zaitaku.reference.municipalities.registry import (
    MUNICIPALITY_TYPES,
    CodeError,
    load_prefectures,
    load_registry,
)

__all__ = [
    "MUNICIPALITY_TYPES",
    "CodeError",
    "check_digit",
    "is_valid_code",
    "load_prefectures",
    "load_registry",
    "looks_like_municipality",
    "municipalities_in",
    "municipality",
    "normalize_code",
    "normalize_prefecture",
    "prefecture_name",
    "registry_as_of",
    "resolve",
]
