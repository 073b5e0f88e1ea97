"""The query of ``GET /segment/jobs``: parsing and validating it, property filters, and the page links.

=========  ==================================================================================================
start      zero-based offset, an integer >= 0 (default 0)
limit      page size, an integer >= 1 (default 20); larger than the server's maximum is clamped, not refused
status     one of the seven statuses
sort       ``<attribute>:asc`` or ``<attribute>:desc``; attributes creationTime, updateTime, status, id
property   repeatable; ``path==value`` (dotted path) or ``array~key==value`` (any element of the array);
           an exact match of the value's string form
=========  ==================================================================================================

Any other value is refused with the reason in :class:`QueryError`. Unknown parameters are ignored.

Three variants (:class:`QueryRules`, all conformant) change that:

- ``--lenient-query``: an invalid value of ``start``, ``limit``, ``status`` or ``sort`` is not refused but
  read as :data:`LENIENT_RULES` says (ignored or clamped). A ``property`` that is in neither form, and a
  parameter given twice, are still refused.
- ``--refuse-filter-paths`` (ERRATA E-25): ``property`` filters only on :data:`REFUSING_FILTER_PATHS`; a
  filter on any other path is refused with 400.
- ``--refuse-sort-attributes`` (ERRATA E-14): ``sort`` only on :data:`REFUSING_SORT_KEYS`; a sort on any other
  attribute is refused with 400, also under ``--lenient-query``.

A property filter on a field the store holds as rendered (:data:`STORED_FIELDS`: the ones a crowded sandbox is
searched by) is answered by the store, in SQL, as a :class:`~conformance.reference.store.Match`; the others
run on the rendered jobs. Both give the same answer: those fields are rendered exactly as stored, as strings.

The faults of :data:`LOOSE_COMPARISONS` (``filter-substring``, ``filter-prefix``, ``filter-case-insensitive``,
``filter-normalized``) compare a filter's value with a job's otherwise than exactly; with one switched on,
every property filter runs on the rendered jobs (:func:`split_filters`, ``stored=False``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from conformance.reference.lifecycle import Status
from conformance.reference.settings import ServerSettings
from conformance.reference.store import Match, MatchField, Order, SortKey

DEFAULT_LIMIT = 20
SORT_KEYS: tuple[SortKey, ...] = ("creationTime", "updateTime", "status", "id")
#: ``--refuse-sort-attributes``: the only attributes a listing sorts on.
REFUSING_SORT_KEYS: tuple[SortKey, ...] = ("creationTime", "updateTime")

#: ``--lenient-query``: how each invalid value is read instead of being refused with 400.
LENIENT_RULES: Mapping[str, str] = {
    "start": "not an integer (start=abc): 0; below 0 (start=-1): 0",
    "limit": "not an integer (limit=abc): the default, 20; below 1 (limit=0, limit=-1): 1",
    "status": "not one of the seven statuses (status=DONE, status=new): no job matches, an empty page",
    "sort": "empty (sort=), without a colon, of a direction other than asc or desc (creationTime:up), or on "
    "an attribute the server does not sort on (foo:asc): ignored, the default order (an attribute is still "
    "refused under --refuse-sort-attributes)",
}

_INTEGER = re.compile(r"[0-9]+")
_NEGATIVE = re.compile(r"-[0-9]+")
# As in the OpenAPI document: a dotted path, optionally ~key for arrays, then == and a non-empty value.
_FILTER = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)(?:~([A-Za-z_][A-Za-z0-9_]*))?==([^\n\r\u2028\u2029]+)")
_SINGLE_VALUED = ("start", "limit", "status", "sort")
_HUGE = 10**18

#: Property filters the store answers (``path`` and ``key`` of the filter), and the stored field each reads.
STORED_FIELDS: Mapping[tuple[tuple[str, ...], tuple[str, ...] | None], MatchField] = {
    (("id",), None): "id",
    (("imsOrgId",), None): "org",
    (("status",), None): "status",
    (("sandbox", "sandboxName"), None): "sandbox",
    (("segments",), ("segmentId",)): "segment",
}


FilterPath = tuple[tuple[str, ...], tuple[str, ...] | None]
#: how a job's value (its string form) is compared with a filter's value: True when the filter keeps the job
Compare = Callable[[str, str], bool]


def folded(text: str) -> str:
    """``text`` as a server that folds lookalikes reads it: compatibility forms (full-width letters) as their
    plain characters (NFKC) and accents dropped (faults ``filter-normalized``, ``bulk-id-normalized``)."""
    plain = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(c for c in plain if not unicodedata.combining(c)))


#: Faults: a property filter that compares loosely, by fault name (the honest comparison is equality).
LOOSE_COMPARISONS: Mapping[str, Compare] = {
    "filter-substring": lambda found, value: value in found,
    "filter-prefix": lambda found, value: found.startswith(value),
    "filter-case-insensitive": lambda found, value: found.casefold() == value.casefold(),
    "filter-normalized": lambda found, value: folded(found) == folded(value),
}


def loose_comparison(fault: Callable[[str], bool]) -> Compare | None:
    """The comparison of the first fault of :data:`LOOSE_COMPARISONS` that ``fault`` says is switched on, or
    None (filters compare exactly)."""
    return next((compare for name, compare in LOOSE_COMPARISONS.items() if fault(name)), None)


#: ``--refuse-filter-paths``: the only ``property`` paths a listing filters on (``path`` and ``key``).
REFUSING_FILTER_PATHS: frozenset[FilterPath] = frozenset(
    {(("segments",), ("segmentId",)), (("status",), None)}
)


@dataclass(frozen=True)
class QueryRules:
    """What a listing accepts: strict or lenient about invalid values, and the sort attributes and filter
    paths it supports (None: any path)."""

    lenient: bool = False
    sort_keys: tuple[SortKey, ...] = SORT_KEYS
    filter_paths: frozenset[FilterPath] | None = None

    @classmethod
    def of(cls, settings: ServerSettings) -> QueryRules:
        return cls(
            lenient=settings.lenient_query,
            sort_keys=REFUSING_SORT_KEYS if settings.refuse_sort_attributes else SORT_KEYS,
            filter_paths=REFUSING_FILTER_PATHS if settings.refuse_filter_paths else None,
        )


class QueryError(ValueError):
    """A query parameter has a value the API does not accept; the message says which and why."""


@dataclass(frozen=True)
class PropertyFilter:
    """One ``property`` parameter: ``path==value``, or ``array~key==value`` when ``key`` is set."""

    text: str
    path: tuple[str, ...]
    key: tuple[str, ...] | None
    value: str

    @classmethod
    def parse(cls, text: str, paths: frozenset[FilterPath] | None = None) -> PropertyFilter:
        """The filter ``text`` (``paths``: the only paths supported; None: any)."""
        match = _FILTER.fullmatch(text)
        if match is None:
            raise QueryError(
                f"property must be path==value or array~key==value (a path of letters, digits, _ and ., "
                f"a non-empty value); got {text!r}"
            )
        path, key, value = match.groups()
        parsed = cls(text=text, path=tuple(path.split(".")), key=None if key is None else (key,), value=value)
        if paths is not None and (parsed.path, parsed.key) not in paths:
            supported = ", ".join(sorted(_path_text(p) for p in paths))
            raise QueryError(
                f"property filters are supported on {supported} only; got {text!r} "
                f"(on {_path_text((parsed.path, parsed.key))})"
            )
        return parsed

    def stored_match(self) -> Match | None:
        """The same filter as the store answers it, when it can (see :data:`STORED_FIELDS`)."""
        field = STORED_FIELDS.get((self.path, self.key))
        return None if field is None else Match(field, self.value)

    def matches(self, job: Mapping[str, Any], compare: Compare | None = None) -> bool:
        """Whether the filter keeps ``job`` (``compare``: a fault's loose comparison; None: equality)."""
        found = _resolve(job, self.path)
        if self.key is None:
            return self._same(_as_text(found), compare)
        if not isinstance(found, list):
            return False
        key = self.key
        return any(self._same(_as_text(_resolve(element, key)), compare) for element in found)

    def _same(self, text: str | None, compare: Compare | None) -> bool:
        if text is None or compare is None:
            return text == self.value
        return compare(text, self.value)


@dataclass(frozen=True)
class ListQuery:
    """A validated listing query. ``order`` is None when the request did not ask for one (or the lenient
    rules ignored it); ``unknown_status`` is the status value no job has (lenient rules only)."""

    start: int = 0
    limit: int = DEFAULT_LIMIT
    status: Status | None = None
    order: Order | None = None
    sort_text: str | None = None
    properties: tuple[PropertyFilter, ...] = ()
    unknown_status: str | None = None

    def next_href(self, next_start: int, base: str = "") -> str:
        """The link to the page from ``next_start``: same size, same filters, same order (``base``: what
        comes before ``/segment/jobs``, a path prefix or an origin)."""
        params: list[tuple[str, str]] = [("start", str(next_start)), ("limit", str(self.limit))]
        if self.status is not None:
            params.append(("status", self.status.value))
        elif self.unknown_status is not None:
            params.append(("status", self.unknown_status))
        if self.sort_text is not None:
            params.append(("sort", self.sort_text))
        params.extend(("property", f.text) for f in self.properties)
        query = "&".join(f"{name}={quote(value, safe=':~')}" for name, value in params)
        return f"{base}/segment/jobs?{query}"


def split_filters(
    filters: Sequence[PropertyFilter], *, stored_ok: bool = True
) -> tuple[list[Match], list[PropertyFilter]]:
    """The filters the store answers (as matches), and the others, to run on the rendered jobs (all of
    them without ``stored_ok``: the store compares exactly)."""
    stored: list[Match] = []
    rendered: list[PropertyFilter] = []
    for property_filter in filters:
        match = property_filter.stored_match() if stored_ok else None
        if match is None:
            rendered.append(property_filter)
        else:
            stored.append(match)
    return stored, rendered


def parse_query(
    items: Sequence[tuple[str, str]], *, max_limit: int, rules: QueryRules = QueryRules()
) -> ListQuery:
    """Validate the query parameters of a listing (as ``(name, value)`` pairs, in order) by ``rules``."""
    single: dict[str, str] = {}
    properties: list[PropertyFilter] = []
    for name, value in items:
        if name == "property":
            properties.append(PropertyFilter.parse(value, rules.filter_paths))
        elif name in _SINGLE_VALUED:
            if name in single:
                raise QueryError(f"{name} is given more than once")
            single[name] = value

    lenient = rules.lenient
    start = _integer(single, "start", default=0, minimum=0, lenient=lenient)
    limit = min(_integer(single, "limit", default=DEFAULT_LIMIT, minimum=1, lenient=lenient), max_limit)
    status = None
    unknown_status = None
    if "status" in single:
        try:
            status = Status(single["status"])
        except ValueError:
            if not lenient:
                allowed = ", ".join(s.value for s in Status)
                raise QueryError(f"status must be one of {allowed}, got {single['status']!r}") from None
            unknown_status = single["status"]
    order = None
    if "sort" in single:
        order = _order(single["sort"], rules)
    return ListQuery(
        start=start,
        limit=limit,
        status=status,
        order=order,
        sort_text=None if order is None else single["sort"],
        properties=tuple(properties),
        unknown_status=unknown_status,
    )


def _integer(single: Mapping[str, str], name: str, *, default: int, minimum: int, lenient: bool) -> int:
    if name not in single:
        return default
    text = single[name]
    if not _INTEGER.fullmatch(text):
        if lenient and _NEGATIVE.fullmatch(text):
            return minimum
        if lenient:
            return default
        raise QueryError(f"{name} must be an integer >= {minimum}, got {text!r}")
    # Beyond 18 digits the exact value makes no difference (no page is that large or that far): cap it.
    value = int(text) if len(text) <= 18 else _HUGE
    if value < minimum:
        if lenient:
            return minimum
        raise QueryError(f"{name} must be an integer >= {minimum}, got {text!r}")
    return value


def _order(text: str, rules: QueryRules) -> Order | None:
    """The order ``sort`` asks for; None when the lenient rules ignore it."""
    attribute, colon, direction = text.partition(":")
    well_formed = bool(colon) and direction in ("asc", "desc")
    if well_formed and attribute in rules.sort_keys:
        return Order(key=attribute, descending=direction == "desc")
    keys = ", ".join(rules.sort_keys)
    if well_formed and rules.sort_keys != SORT_KEYS:  # --refuse-sort-attributes, lenient or not
        raise QueryError(f"sort is supported on {keys} only; got {text!r}")
    if rules.lenient:
        return None
    raise QueryError(
        f"sort must be <attribute>:asc or <attribute>:desc with attribute one of {keys}; got {text!r}"
    )


def _path_text(path: FilterPath) -> str:
    """A filter path as the ``property`` parameter writes it: ``a.b`` or ``array~key``."""
    dotted, key = path
    return ".".join(dotted) + ("" if key is None else "~" + ".".join(key))


def _resolve(value: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        if not isinstance(value, dict) or name not in value:
            return None
        value = value[name]
    return value


def _as_text(value: Any) -> str | None:
    """The string a filter value is compared with: strings as they are, numbers and booleans in their JSON
    form; None (never equal to a filter value) for objects, arrays, null and absent values."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)):
        return json.dumps(value)
    return None


@dataclass(frozen=True)
class Window:
    """The rows a page reads: from ``offset``, ``rows`` of them (None: all), and where the page its links
    assume ends (``end``, None: no end)."""

    offset: int
    rows: int | None
    end: int | None


def read_of(
    query: ListQuery, default_order: str, fault: Callable[[str], bool]
) -> tuple[Status | tuple[Status, ...] | None, Order, Window]:
    """What the store reads for a listing query: the statuses, the order and the window, with the listing
    faults that change them (``list-ignores-status-filter``, ``status-filter-finished``, ``sort-ignored``,
    ``update-sort-inverted``, ``list-ignores-limit``, ``start-skips-one``, ``page-limit-plus-one``)."""
    status: Status | tuple[Status, ...] | None = None if fault("list-ignores-status-filter") else query.status
    if status == Status.SUCCEEDED and fault("status-filter-finished"):
        status = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)
    order = query.order
    if order is None or fault("sort-ignored"):
        order = Order("creationTime", descending=default_order == "desc")
    if order == Order("updateTime", descending=True) and fault("update-sort-inverted"):
        order = Order("updateTime", descending=False)
    limit = None if fault("list-ignores-limit") else query.limit
    end = None if limit is None else query.start + limit
    # start-skips-one and page-limit-plus-one: the rows read are not the page the links assume
    offset = query.start + 1 if fault("start-skips-one") and query.start > 0 else query.start
    rows = limit + 1 if limit is not None and fault("page-limit-plus-one") else limit
    return status, order, Window(offset, rows, end)
