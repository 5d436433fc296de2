"""Whether a version may be used somewhere at some time: the one answer every caller asks.

rights_of() answers covered, not covered (with every reason) or unknown (with what could not
be judged) for a version, a use (the run's context, the slot and the moment) and what Govern
knows of the purchase. The rules:

- A version that did not come from a purchase needs no licence.
- A cancelled purchase covers nothing; one active term of one valid purchase covering is enough.
- Within a term, a restriction beats a permission: a restricted key that applies fails the term
  even when an allowed key covers the use.
- Unknown is never false, and never true: a null or empty list (the SDKs make no difference), a
  key nobody mapped (VocabularyMapping), or a use that does not say what a term limits (a slot
  without placement) is unknown. Only a compliance officer's reading (readings.py) can state
  that a list is "none"; a purchase whose words only a person can read (the provider's
  constraints and comments, exclusivities, usage limits) is unknown until one is recorded.
- Download constraints: a use of a purchase past its effective_max_users, _downloads or
  _reuses (Smint.io's counters, and the re-purchases Govern holds for reuses) is not covered.
- Every stored term kind is judged: validity (valid_from, valid_until, to_be_used_until as the
  last date a first use may start), usages to channels, placements, distributions (copies,
  against the documents counted from usage reports), geographies to regions, languages to BCP
  47 tags, industries against the unit's industry, sizes (mm for print, px for screens),
  editorial-only use, model and property releases, and usage limits. Exclusivities are the
  licensor's promise not to sell to others: they limit nobody's use and are reported as notes.
"""

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from assets.models import (
    Asset,
    LicenceReading,
    LicensePurchase,
    LicenseTerm,
    OnUnknown,
    RightsPolicy,
    Version,
    VersionLicence,
    Vocabulary,
    VocabularyMapping,
    default_on_unknown,
)
from assets.resolution import Context
from assets.rights.readings import ReadTerm, current, read, to_read
from govern.models import BusinessUnit

Mappings = dict[str, dict[str, list[str]]]


class Outcome(StrEnum):
    COVERED = "covered"
    NOT_COVERED = "not_covered"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Use:
    """Where and when a version would be used: the run's context, the slot, the moment."""

    context: Context
    at: datetime
    placement: str = ""
    width_mm: int | None = None
    # None judges by what Govern holds now; a time by the terms Govern held then.
    known_at: datetime | None = None
    # Reconciliation reports volumes as over_limit findings of their own.
    volumes: bool = True


@dataclass(frozen=True)
class Rights:
    outcome: Outcome
    reasons: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def covered(self) -> bool:
        return self.outcome == Outcome.COVERED

    def summary(self) -> str:
        if self.outcome == Outcome.NOT_COVERED:
            return "its licence is " + "; ".join(self.reasons)
        if self.outcome == Outcome.UNKNOWN:
            return "its licence cannot be judged: " + "; ".join(self.unknown)
        return "covered"

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.outcome.value,
            "reasons": list(self.reasons),
            "unknown": list(self.unknown),
            "notes": list(self.notes),
        }


COVERED = Rights(Outcome.COVERED)
NO_LICENCE_NEEDED = Rights(Outcome.COVERED, notes=("not from a purchase: needs no licence",))


@dataclass(frozen=True)
class PurchaseUse:
    """What usage reports say of one purchase: its volume, its first use, the limits it passed."""

    documents: int = 0
    first_use: datetime | None = None
    exceeded: tuple[str, ...] = ()
    # The usage-limit keys people gave a volume to; the others are unknown.
    mapped_limits: frozenset[str] = frozenset()
    # Later purchases of the same content that re-license this one, as Govern holds them.
    reuses: int = 0


@dataclass
class _Finding:
    """One term's answer: why it does not cover the use, and what it could not judge."""

    problems: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def load_mappings() -> Mappings:
    """Return every vocabulary key's meaning, by vocabulary (one query)."""
    mappings: Mappings = defaultdict(Table)
    for vocabulary, key, values in VocabularyMapping.objects.values_list(
        "vocabulary", "key", "values"
    ):
        mappings[vocabulary][key] = list(values)
    return mappings


def _speaks(language: str, tags: set[str]) -> bool:
    """Say whether a run's language is one of the tags: de-CH is covered by de."""
    language = language.lower()
    return any(language == tag.lower() or language.startswith(f"{tag.lower()}-") for tag in tags)


@dataclass(frozen=True)
class Dimension:
    """A pair of term lists whose keys map to a set of Govern values the use names one of."""

    vocabulary: Vocabulary
    noun: str
    value: Callable[[Use, BusinessUnit], str]
    matches: Callable[[str, set[str]], bool] = lambda value, meaning: value in meaning

    @property
    def lists(self) -> str:
        return self.vocabulary.value.removeprefix("license_")


DIMENSIONS = (
    Dimension(Vocabulary.GEOGRAPHY, "region", lambda use, unit: use.context.region),
    Dimension(Vocabulary.USAGE, "channel", lambda use, unit: use.context.channel),
    Dimension(Vocabulary.LANGUAGE, "language", lambda use, unit: use.context.language, _speaks),
    Dimension(Vocabulary.PLACEMENT, "placement", lambda use, unit: use.placement),
    Dimension(Vocabulary.INDUSTRY, "industry", lambda use, unit: unit.industry),
)


class Table(dict[str, list[str]]):
    """One vocabulary's mappings, remembering what each list of keys means and what each
    pair of allowed and restricted lists says of a value (terms repeat their lists)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.memo: dict[tuple[str, ...], tuple[set[str], list[str]]] = {}
        self.judged: dict[tuple[Any, ...], tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _meaning(keys: Sequence[str], table: dict[str, list[str]]) -> tuple[set[str], list[str]]:
    """Map keys to Govern's values; return them and the keys nobody mapped."""
    memo = table.memo if isinstance(table, Table) else {}
    found = memo.get(tuple(keys))
    if found is None:
        values = {value for key in keys if key in table for value in table[key]}
        found = memo[tuple(keys)] = (values, sorted(key for key in keys if key not in table))
    return found


# A term list read as keys (None: not stated).
Keys = tuple[str, ...] | None


def _lists(term: LicenseTerm | ReadTerm, name: str) -> tuple[Keys, Keys]:
    """A term's allowed and restricted lists of one kind, as keys."""
    allowed, restricted = _keys(term, f"allowed_{name}"), _keys(term, f"restricted_{name}")
    return (
        None if allowed is None else tuple(allowed),
        None if restricted is None else tuple(restricted),
    )


def _keys(term: LicenseTerm | ReadTerm, field_name: str) -> list[str] | None:
    """Read a term list as keys. Null, anything but a list and an empty list are not stated
    (Smint.io's SDKs read an empty list as null); only a person's reading states "none"."""
    value = getattr(term, field_name)
    if not isinstance(value, list):
        return None
    if value:
        return [str(key) for key in value]
    return [] if field_name in term.__dict__.get("stated", ()) else None


def _judge_set(
    allowed: Keys,
    restricted: Keys,
    dim: Dimension,
    value: str,
    table: dict[str, list[str]],
    found: _Finding,
) -> None:
    """Judge a value against a term's allowed and restricted lists of one dimension."""
    if restricted is None:
        found.unknown.append(f"its restricted {dim.lists} are not stated")
    else:
        barred, unmapped = _meaning(restricted, table)
        if "*" in barred or (value and dim.matches(value, barred)):
            found.problems.append(f"restricted for {dim.noun} {value or 'any'}")
            return
        if unmapped:
            found.unknown.append(f"restricted {dim.lists} {', '.join(unmapped)} are not mapped")
        elif barred and not value:
            found.unknown.append(f"the use names no {dim.noun}")
    if allowed is None:
        found.unknown.append(f"its allowed {dim.lists} are not stated")
        return
    if not allowed:
        return
    permitted, unmapped = _meaning(allowed, table)
    if "*" in permitted or (value and dim.matches(value, permitted)):
        return
    if unmapped:
        found.unknown.append(f"allowed {dim.lists} {', '.join(unmapped)} are not mapped")
    elif not value:
        found.unknown.append(f"the use names no {dim.noun}")
    else:
        found.problems.append(f"not for {dim.noun} {value}")


AMOUNT = re.compile(r"^(\d{1,12})(mm|px)?$")


def _amounts(keys: Sequence[str], table: dict[str, list[str]], unit: str) -> tuple[list[int], bool]:
    """Return the numbers the keys map to in this unit, and whether any means unlimited."""
    numbers, unlimited = [], False
    for key in keys:
        for value in table.get(key, []):
            if value == "*":
                unlimited = True
            elif (match := AMOUNT.match(value)) and (match.group(2) or "") == unit:
                numbers.append(int(match.group(1)))
    return numbers, unlimited


def _judge_amount(
    allowed: Keys,
    restricted: Keys,
    name: str,
    amount: int | None,
    unit: str,
    table: dict[str, list[str]],
    found: _Finding,
) -> None:
    """Judge a size or a distribution: allowed keys mean "up to", restricted "from"."""
    shown = f"{amount:,}{unit}" if amount is not None else ""
    if restricted is None:
        found.unknown.append(f"its restricted {name} are not stated")
    elif restricted:
        barred, _ = _amounts(restricted, table, unit)
        unmapped = [key for key in restricted if key not in table]
        if amount is not None and any(amount >= limit for limit in barred):
            found.problems.append(f"restricted from {min(barred):,}{unit} ({name}: {shown})")
            return
        if unmapped:
            found.unknown.append(f"restricted {name} {', '.join(sorted(unmapped))} are not mapped")
        elif barred and amount is None:
            found.unknown.append(f"the use states no {name.rstrip('s')}")
    if allowed is None:
        found.unknown.append(f"its allowed {name} are not stated")
        return
    if not allowed:
        return
    permitted, unlimited = _amounts(allowed, table, unit)
    if unlimited or (amount is not None and any(amount <= limit for limit in permitted)):
        return
    if not permitted:
        found.unknown.append(f"its allowed {name} state nothing in {unit or 'copies'}")
    elif amount is None:
        found.unknown.append(f"the use states no {name.rstrip('s')}")
    else:
        found.problems.append(f"allowed only up to {max(permitted):,}{unit} ({name}: {shown})")


def _judge_dates(
    term: LicenseTerm | ReadTerm, use: Use, facts: PurchaseUse, found: _Finding
) -> None:
    if term.valid_from and use.at < term.valid_from:
        found.problems.append(f"valid only from {term.valid_from:%Y-%m-%d}")
    if term.valid_until and use.at > term.valid_until:
        found.problems.append(f"valid only until {term.valid_until:%Y-%m-%d}")
    first = term.to_be_used_until
    if first and use.at > first and (facts.first_use is None or facts.first_use > first):
        found.problems.append(f"to be first used by {first:%Y-%m-%d}, and it was not")


def _judge_editorial(term: LicenseTerm | ReadTerm, unit: BusinessUnit, found: _Finding) -> None:
    if unit.publishes_editorial or term.is_editorial_use is False:
        return
    if term.is_editorial_use:
        found.problems.append("for editorial use only, not commercial communications")
    else:
        found.unknown.append("whether it is editorial use only is not stated")


def _judge_limits(
    term: LicenseTerm | ReadTerm, use: Use, facts: PurchaseUse, found: _Finding
) -> None:
    if not use.volumes:
        return
    limits = _keys(term, "usage_limits")
    if limits is None:
        found.unknown.append("its usage limits are not stated")
        return
    unmapped = sorted(set(limits) - facts.mapped_limits)
    if unmapped:
        found.unknown.append(f"usage limits {', '.join(unmapped)} have no volume")


RELEASED = {"released", "no_release_required", "all"}


LIMITS = (
    ("users", "max_users", "current_users"),
    ("downloads", "max_downloads", "current_downloads"),
    ("reuses", "max_reuses", "current_reuses"),
)


def _judge_downloads(purchase: LicensePurchase, facts: PurchaseUse, found: _Finding) -> None:
    """A purchase past one of its download constraints covers nothing more (<= 0: unlimited)."""
    for noun, limit_field, count_field in LIMITS:
        limit, count = getattr(purchase, limit_field), getattr(purchase, count_field)
        if noun == "reuses":
            count = max(count or 0, facts.reuses)
        if limit is not None and limit > 0 and count is not None and count > limit:
            found.problems.append(f"past its limit of {limit:,} {noun} ({count:,} so far)")


def _purchase_finding(purchase: LicensePurchase, unit: BusinessUnit, use: Use) -> _Finding:
    """What the purchase as a whole says of the use: releases and the volumes it passed."""
    found = _Finding()
    for name, state in (
        ("model", purchase.model_release_state),
        ("property", purchase.property_release_state),
    ):
        if state == "not_released" and not unit.publishes_editorial:
            found.problems.append(f"without a {name} release, so not for commercial use")
        elif state not in RELEASED and state != "not_released":
            known = f" ({state})" if state else ""
            found.unknown.append(f"its {name} release state is not known{known}")
    return found


# What a term (or a purchase) says of a use: why it does not cover it, what could not be judged.
Part = tuple[tuple[str, ...], tuple[str, ...]]
CLEAR: Part = ((), ())


def _part_of(found: _Finding) -> Part:
    """A finding as a Part; every finding with nothing to say is the one CLEAR."""
    if not found.problems and not found.unknown:
        return CLEAR
    return tuple(found.problems), tuple(found.unknown)


def _alone(judge_part: Callable[..., None], *args: Any) -> Part:
    """What one judgement of a part says, on its own."""
    found = _Finding()
    judge_part(*args, found)
    return _part_of(found)


def _judged(
    table: dict[str, list[str]], key: tuple[Any, ...], judge_part: Callable[..., None], *args: Any
) -> Part:
    """What a part says, judged once per mapping table for the same lists and value: a check
    asks the same of every term that repeats a list, in every context that shares a value."""
    memo = table.judged if isinstance(table, Table) else {}
    part = memo.get(key)
    if part is None:
        part = memo[key] = _alone(judge_part, *args, table)
    return part


@dataclass(frozen=True)
class _Where:
    """Where each of a batch's uses is, as a term judges it: its value on each dimension and
    its size (the slot's millimetres in print, else the version's pixels); and the distinct
    values of each, judged once per term."""

    places: list[tuple[Any, ...]]
    distinct: list[set[Any]]

    @classmethod
    def of(cls, uses: list[Use], unit: BusinessUnit, pixels: int | None) -> "_Where":
        places = [
            (
                *(dim.value(use, unit) for dim in DIMENSIONS),
                (use.width_mm, "mm") if use.context.channel in ("print", "") else (pixels, "px"),
            )
            for use in uses
        ]
        return cls(places, [set(axis) for axis in zip(*places, strict=True)])


def _dimension_parts(
    term: LicenseTerm | ReadTerm, dim: Dimension, values: set[str], mappings: Mappings
) -> dict[str, Part]:
    """A term's answer on one dimension for each value the uses name."""
    table = mappings.get(dim.vocabulary, {})
    allowed, restricted = _lists(term, dim.lists)
    return {
        value: _judged(
            table,
            (dim.vocabulary, value, allowed, restricted),
            _judge_set,
            *(allowed, restricted, dim, value),
        )
        for value in values
    }


def _size_parts(
    term: LicenseTerm | ReadTerm, sizes: set[tuple[int | None, str]], mappings: Mappings
) -> dict[tuple[int | None, str], Part]:
    """A term's answer on size for each size the uses have."""
    table = mappings.get(Vocabulary.SIZE, {})
    allowed, restricted = _lists(term, "sizes")
    return {
        size: _judged(
            table,
            ("sizes", *size, allowed, restricted),
            _judge_amount,
            *(allowed, restricted, "sizes", *size),
        )
        for size in sizes
    }


def _term_findings(
    term: LicenseTerm | ReadTerm,
    unit: BusinessUnit,
    first: Use,
    where: _Where,
    facts: PurchaseUse,
    mappings: Mappings,
) -> list[Part]:
    """A term's answer for each of a batch of uses that share their moment, slot and volumes
    (judge_many's batches, `first` one of them): what they share is judged once, a region,
    channel, language or size once per value, in the order one use's answer lists them."""
    copies = mappings.get(Vocabulary.DISTRIBUTION, {})
    distributed = (*_lists(term, "distributions"), "distributions", facts.documents, "", copies)
    shared = (
        _alone(_judge_dates, term, first, facts),
        _alone(_judge_amount, *distributed) if first.volumes else CLEAR,
        _alone(_judge_editorial, term, unit),
        _alone(_judge_limits, term, first, facts),
    )
    columns: list[dict[Any, Part]] = [
        *(
            _dimension_parts(term, dim, where.distinct[axis], mappings)
            for axis, dim in enumerate(DIMENSIONS)
        ),
        _size_parts(term, where.distinct[-1], mappings),
    ]
    if _clear(shared) and all(_clear(column.values()) for column in columns):
        return [CLEAR] * len(where.places)  # the term covers every use: the common answer
    dates, tail = shared[0], shared[1:]
    return [
        _joined(
            (dates, *(column[value] for column, value in zip(columns, place, strict=True)), *tail)
        )
        for place in where.places
    ]


def _clear(parts: Iterable[Part]) -> bool:
    return all(part is CLEAR for part in parts)


def _joined(parts: tuple[Part, ...]) -> Part:
    if parts.count(CLEAR) == len(parts):
        return CLEAR
    return (
        tuple(problem for part in parts for problem in part[0]),
        tuple(unsure for part in parts for unsure in part[1]),
    )


def in_force(term: LicenseTerm, known_at: datetime | None) -> bool:
    """Say whether Govern held this term at known_at (None: now, the active terms)."""
    if known_at is None:
        return term.active
    return term.created_at <= known_at and (
        term.deactivated_at is None or term.deactivated_at > known_at
    )


def cancelled(purchase: LicensePurchase, known_at: datetime | None) -> bool:
    if known_at is None:
        return purchase.cancelled
    return purchase.cancelled_at is not None and purchase.cancelled_at <= known_at


def _reading_of(
    purchase: LicensePurchase,
    held: list[LicenseTerm],
    readings: list[LicenceReading],
    known_at: datetime | None,
) -> tuple[LicenceReading | None, list[str]]:
    """The reading that applies and what only a person can read, remembered on the purchase
    object for these terms, readings and moment (a check asks thousands of times)."""
    key = (known_at, tuple(map(id, held)), tuple(map(id, readings)))
    known = purchase.__dict__.setdefault("_reading_of", {})
    if key not in known:
        known[key] = (current(readings, purchase, held, known_at), to_read(purchase, held))
    found: tuple[LicenceReading | None, list[str]] = known[key]
    return found


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


Licence = tuple[LicensePurchase, list[LicenseTerm]]


def judge(
    licences: list[Licence],
    unit: BusinessUnit,
    use: Use,
    *,
    pixels: int | None = None,
    facts: dict[int, PurchaseUse] | None = None,
    mappings: Mappings | None = None,
    readings: dict[int, list[LicenceReading]] | None = None,
) -> Rights:
    """Answer for a version's purchases (with their terms and readings) whether they cover
    the use."""
    return judge_many(
        licences, unit, [use], pixels=pixels, facts=facts, mappings=mappings, readings=readings
    )[0]


def judge_many(
    licences: list[Licence],
    unit: BusinessUnit,
    uses: list[Use],
    *,
    pixels: int | None = None,
    facts: dict[int, PurchaseUse] | None = None,
    mappings: Mappings | None = None,
    readings: dict[int, list[LicenceReading]] | None = None,
) -> list[Rights]:
    """judge() for each of many uses of one version: uses that differ only in where (region,
    channel, language, size) are judged as one batch, what they share once (a pre-flight asks
    of every slot in every context of its run)."""
    if not licences:
        return [NO_LICENCE_NEEDED] * len(uses)
    known = _Known(unit, pixels, facts or {}, mappings or {}, readings or {})
    batches: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for index, use in enumerate(uses):
        batches[(use.at, use.placement, use.width_mm, use.known_at, use.volumes)].append(index)
    answers: list[Rights] = [NO_LICENCE_NEEDED] * len(uses)
    for indices in batches.values():
        batch = _judge_batch(licences, [uses[index] for index in indices], known)
        for index, rights in zip(indices, batch, strict=True):
            answers[index] = rights
    return answers


@dataclass(frozen=True)
class _Known:
    """What a judgement reads beside the licences: the unit, the version's pixels, usage facts,
    vocabulary mappings and the officers' readings."""

    unit: BusinessUnit
    pixels: int | None
    facts: dict[int, PurchaseUse]
    mappings: Mappings
    readings: dict[int, list[LicenceReading]]


@dataclass
class _Answer:
    """One use's answer while its batch is judged: what it found so far, or that it is covered."""

    problems: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    covered: bool = False

    def rights(self) -> Rights:
        if self.covered:
            return Rights(Outcome.COVERED, notes=_unique(self.notes)) if self.notes else COVERED
        outcome = Outcome.UNKNOWN if self.unknown else Outcome.NOT_COVERED
        return Rights(outcome, _unique(self.problems), _unique(self.unknown), _unique(self.notes))


def _judge_batch(licences: list[Licence], uses: list[Use], known: _Known) -> list[Rights]:
    """The answers for uses that share their moment, slot and volumes: the first term of any
    purchase that covers a use settles it; the others go on to the next term."""
    answers = [_Answer() for _ in uses]
    open_ = list(range(len(uses)))
    for purchase, terms in licences:
        refusal, held, whole, used = _standing(purchase, terms, uses[0], known)
        if refusal:
            for index in open_:
                answers[index].problems.append(refusal)
            continue
        where = _Where.of([uses[i] for i in open_], known.unit, known.pixels)
        for term, as_read in held:
            exclusive = [f"exclusive: {key}" for key in _keys(term, "exclusivities") or []]
            found = _term_findings(as_read, known.unit, uses[0], where, used, known.mappings)
            for index, (problems, unsure) in zip(open_, found, strict=True):
                _settle(answers[index], exclusive, whole[0] + problems, whole[1] + unsure)
            still = [index for index in open_ if not answers[index].covered]
            if not still:
                return [answer.rights() for answer in answers]
            if len(still) < len(open_):
                open_, where = still, _Where.of([uses[i] for i in still], known.unit, known.pixels)
    return [answer.rights() for answer in answers]


def _settle(
    answer: _Answer, exclusive: list[str], failed: tuple[str, ...], unsure: tuple[str, ...]
) -> None:
    answer.notes += exclusive
    if not failed and not unsure:
        answer.covered = True
    elif failed:
        answer.problems += failed
    else:
        answer.unknown += unsure


def _standing(
    purchase: LicensePurchase, terms: list[LicenseTerm], use: Use, known: _Known
) -> tuple[str, list[tuple[LicenseTerm, Any]], Part, PurchaseUse]:
    """What a purchase says of uses at one moment whatever their context: why it covers
    nothing (or ""), its terms in force as its reading completes them, what the purchase as a
    whole finds, and what usage reports counted of it."""
    if cancelled(purchase, use.known_at):
        return "its Smint.io purchase was cancelled", [], CLEAR, PurchaseUse()
    held = [term for term in terms if in_force(term, use.known_at)]
    if not held:
        return "its purchase carries no licence terms", [], CLEAR, PurchaseUse()
    used = known.facts.get(purchase.pk, PurchaseUse())
    whole = _purchase_finding(purchase, known.unit, use)
    if use.known_at is None:  # Smint.io's counters are today's: they judge only now
        _judge_downloads(purchase, used, whole)
    if use.volumes:
        whole.problems += used.exceeded
    readings = known.readings.get(purchase.pk, [])
    reading, words = _reading_of(purchase, held, readings, use.known_at)
    if words and reading is None:
        whole.unknown.append(f"no compliance officer has read its licence ({', '.join(words)})")
    return "", [(term, read(term, reading)) for term in held], _part_of(whole), used


def no_facts(purchase_ids: set[int]) -> dict[int, PurchaseUse]:
    return {}


# What usage reports counted per purchase. usage stands above assets, so it fills this registry
# at start-up (usage/apps.py registers usage/limits.py:purchase_facts); until then, no facts.
UsageFacts = Callable[[set[int]], dict[int, PurchaseUse]]
_usage_facts: list[UsageFacts] = []


def register_usage_facts(source: UsageFacts) -> None:
    """Let the room that reads usage reports tell the judge what they counted per purchase."""
    _usage_facts[:] = [source]


def usage_facts(purchase_ids: set[int]) -> dict[int, PurchaseUse]:
    """Return what usage reports counted for these purchases (nothing before usage registers)."""
    return (_usage_facts[0] if _usage_facts else no_facts)(purchase_ids)


class RightsBook:
    """Purchases, terms, mappings, usage facts and policies for the versions a check looks at,
    each loaded once, so a check's queries do not grow with its bindings or contexts."""

    def __init__(self, versions: Iterable[Version] = ()) -> None:
        self._licences: dict[int, Licence] = {}
        self._purchases_of: dict[int, set[int]] = {}
        self._facts: dict[int, PurchaseUse] = {}
        self._readings: dict[int, list[LicenceReading]] = defaultdict(list)
        self._mappings: Mappings | None = None
        self._units: dict[int, BusinessUnit] = {}
        self._policies: dict[tuple[int, str], str] | None = None
        self._know(list(versions))

    def _know(self, versions: list[Version]) -> None:
        """Learn which purchases license these versions: their own and any re-purchase."""
        licensed = [
            v for v in versions if v.purchase_id is not None and v.pk not in self._purchases_of
        ]
        if not licensed:
            return
        for version in licensed:
            self._purchases_of[version.pk] = {version.purchase_id}  # type: ignore[arg-type]
        for version_id, purchase_id in VersionLicence.objects.filter(
            version_id__in=[v.pk for v in licensed]
        ).values_list("version_id", "purchase_id"):
            self._purchases_of[version_id].add(purchase_id)
        self._load({pk for pks in self._purchases_of.values() for pk in pks})

    def _load(self, purchase_ids: set[int]) -> None:
        missing = purchase_ids - set(self._licences)
        if not missing:
            return
        licences: dict[int, Licence] = {
            p.pk: (p, []) for p in LicensePurchase.objects.filter(pk__in=missing)
        }
        for term in LicenseTerm.objects.filter(purchase_id__in=missing):
            licences[term.purchase_id][1].append(term)
        for reading in LicenceReading.objects.filter(purchase_id__in=missing):
            self._readings[reading.purchase_id].append(reading)
        self._licences.update(licences)
        self._facts.update(usage_facts(missing))
        self._count_reuses([p for p, _ in licences.values() if (p.max_reuses or 0) > 0])

    def _count_reuses(self, limited: list[LicensePurchase]) -> None:
        """Count the re-purchases of purchases with a reuse limit (one query, only for them)."""
        if not limited:
            return
        counts = Counter(
            LicensePurchase.objects.filter(reused_uuid__in=[p.uuid for p in limited]).values_list(
                "reused_uuid", flat=True
            )
        )
        for purchase in limited:
            known = self._facts.get(purchase.pk, PurchaseUse())
            self._facts[purchase.pk] = replace(known, reuses=counts[purchase.uuid])

    def _unit(self, unit_id: int) -> BusinessUnit:
        if unit_id not in self._units:
            self._units.update(BusinessUnit.objects.in_bulk())
        return self._units[unit_id]

    def judge(self, version: Version, use: Use) -> Rights:
        """Answer whether any of the version's purchases covers the use."""
        return self.judge_many(version, [use])[0]

    def judge_many(self, version: Version, uses: list[Use]) -> list[Rights]:
        """Answer for each use whether any of the version's purchases covers it, judging what
        the uses share once (judge_many)."""
        if version.purchase_id is None:
            return [NO_LICENCE_NEEDED] * len(uses)
        if version.pk not in self._purchases_of:
            self._know([version])
        if self._mappings is None:
            self._mappings = load_mappings()
        width = version.metadata.get("width") if isinstance(version.metadata, dict) else None
        return judge_many(
            [self._licences[pk] for pk in sorted(self._purchases_of[version.pk])],
            self._unit(version.variant.asset.business_unit_id),
            uses,
            pixels=int(width) if isinstance(width, int | float) else None,
            facts=self._facts,
            mappings=self._mappings,
            readings=self._readings,
        )

    def on_unknown(self, asset: Asset) -> str:
        """Return what the asset's unit does with an unjudgeable licence for its kind."""
        if self._policies is None:
            self._policies = {
                (unit, kind): choice
                for unit, kind, choice in RightsPolicy.objects.values_list(
                    "business_unit_id", "kind", "on_unknown"
                )
            }
        policy = self._policies.get((asset.business_unit_id, asset.kind))
        return policy or default_on_unknown(asset.kind)

    def stops(self, asset: Asset, rights: Rights) -> bool:
        """Say whether these rights keep the asset out of a run under its unit's policy."""
        if rights.outcome == Outcome.UNKNOWN:
            return self.on_unknown(asset) == OnUnknown.BLOCK
        return rights.outcome == Outcome.NOT_COVERED
