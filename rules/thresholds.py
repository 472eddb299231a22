"""Thresholds, windows and lexicons of the rules: loaded from YAML, validated, overridable per check."""

from __future__ import annotations

import calendar
import hashlib
import json
import re
import typing
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta
from pathlib import Path

import yaml

from zwgk.core.config import ConfigError
from zwgk.core.safe_yaml import load_yaml
from zwgk.core.records import COLUMN_CLASSES

DEFAULT_PATH = Path(__file__).with_name("thresholds.yaml")
_WINDOW = re.compile(r"^\s*(\d+)\s*([dmy])\s*$")
_UNIT_LABEL = {"d": "天", "m": "个月", "y": "年"}


@dataclass(frozen=True)
class Window:
    """A look-back period: n days, calendar months or years."""

    n: int
    unit: str   # d | m | y

    @classmethod
    def parse(cls, text) -> "Window":
        m = _WINDOW.match(str(text))
        if not m or int(m.group(1)) <= 0:
            raise ValueError(f"a window like 14d, 6m or 1y, got {text!r}")
        return cls(int(m.group(1)), m.group(2))

    def start(self, as_of: date) -> date:
        """The oldest date still inside the window ending at as_of."""
        if self.unit == "d":
            return as_of - timedelta(days=self.n)
        months = self.n * (12 if self.unit == "y" else 1)
        y, m = divmod(as_of.year * 12 + as_of.month - 1 - months, 12)
        return date(y, m + 1, min(as_of.day, calendar.monthrange(y, m + 1)[1]))

    @property
    def label(self) -> str:
        if self.unit == "d" and self.n % 7 == 0 and self.n <= 28:
            return f"{self.n // 7}周"
        return f"{self.n}{_UNIT_LABEL[self.unit]}"

    def __str__(self) -> str:
        return f"{self.n}{self.unit}"


@dataclass(frozen=True)
class Freshness:
    homepage_window: Window
    homepage_min_items: int
    column_windows: dict[str, Window]
    veto_news_and_notices: int
    veto_news_classes: list[str]
    veto_notice_classes: list[str]
    veto_stale_columns: int
    veto_blank_columns: int
    warn_homepage_days: int
    warn_blank_columns: int
    warn_stale_columns: int
    blank_column_classes: list[str]
    gkml_markers: list[str]
    undated_list_detail_pages: int
    single_document_markers: list[str]


@dataclass(frozen=True)
class Coverage:
    """When a crawl covered enough of a site to grade it (RULEBOOK: no verdict without evidence)."""

    min_nav_assessed_percent: int
    min_columns_assessed_percent: int
    min_columns_assessed: int
    max_pages_failed_percent: int


@dataclass(frozen=True)
class Metadata:
    required_policy: list[str]
    required_item: list[str]
    policy_markers: list[str]
    placeholders: list[str]
    placeholder_allowed: dict[str, list[str]]
    doc_number_brackets: list[str]
    doc_number_rule_since: int
    validity_values: list[str]
    validity_in_force: list[str]
    index_number_min_year: int
    catalog_markers: list[str]
    byline_fields: list[str]


@dataclass(frozen=True)
class Media:
    unplayable_extensions: list[str]
    interpretation_markers: list[str]


@dataclass(frozen=True)
class Privacy:
    id_regions: list[str]
    id_min_birth_year: int
    mobile_prefixes: list[str]
    card_prefixes: list[str]
    card_lengths: list[int]
    context_chars: int
    header_rows: int
    excerpt_chars: int
    max_samples: int
    number_labels: list[str]
    personal_markers: list[str]
    official_markers: list[str]
    office_markers: list[str]
    card_markers: list[str]
    card_office_markers: list[str]
    disclosure_markers: list[str]


@dataclass(frozen=True)
class Interpretation:
    not_interpretation_titles: list[str]
    document_title_pattern: str
    title_noise: list[str]
    title_similarity: float
    max_working_days: int
    holiday_file: str
    forms: dict[str, list[str]]
    diverse_min_share: float
    diverse_min_documents: int
    copy_share: float
    copy_min_chars: int
    copy_min_sentences: int
    require_columns: list[str]
    require_window_days: int
    require_exempt_validity: list[str]


@dataclass(frozen=True)
class Redating:
    min_days: int
    republication_markers: list[str]
    duplicate_min_text: int


@dataclass(frozen=True)
class Deadlines:
    annual_report_deadline: dict[str, str]
    annual_report_markers: list[str]
    annual_report_required: list[str]
    annual_report_excluded: list[str]
    annual_report_columns: list[str]
    statement_deadline: str
    statement_markers: list[str]
    statement_columns: list[str]
    years_listed: int
    consultation_markers: list[str]
    result_markers: list[str]
    consultation_noise: list[str]
    result_window: Window


@dataclass(frozen=True)
class Links:
    confirmed_statuses: list[int]


@dataclass(frozen=True)
class CatalogLexicon:
    explanation_markers: list[str]
    root_segments: list[str]
    synonyms: list[list[str]]
    name_suffixes: list[str]
    periods: dict[str, Window]
    continuous: list[str]


@dataclass(frozen=True)
class Availability:
    window: Window
    min_probes_per_day: int
    veto_failed_percent: int
    utc_offset_hours: int


@dataclass(frozen=True)
class Identity:
    footer_markers: list[str]
    footer_min_markers: int
    footer_items: dict[str, list[str]]
    site_code_pattern: str
    error_entry_markers: list[str]


@dataclass(frozen=True)
class Integrity:
    three_label_suffixes: list[str]
    redirect_trusted_domains: list[str]
    allowed_domains: list[str]
    name_suffixes: list[str]
    place_suffixes: list[str]
    bad_words: dict[str, list[str]]
    bad_words_min: dict[str, int]


@dataclass(frozen=True)
class Interaction:
    veto_unanswered: Window
    veto_lookback: Window
    reply_days: int
    unanswered_status: list[str]
    answered_status: list[str]
    channel_markers: list[str]
    consultation_markers: list[str]
    consultation_window: Window
    consultation_min_portal: int
    consultation_min_other: int


@dataclass(frozen=True)
class Services:
    elements: list[str]
    min_recognised: int
    empty_values: list[str]
    veto_min_guides: int
    veto_share_percent: int
    veto_missing_elements: int
    linked_out_markers: list[str]
    stats_markers: list[str]
    stats_window: Window


@dataclass(frozen=True)
class Search:
    no_result_phrases: list[str]


@dataclass(frozen=True)
class Thresholds:
    freshness: Freshness
    metadata: Metadata
    media: Media
    links: Links
    catalog: CatalogLexicon
    coverage: Coverage
    privacy: Privacy
    interpretation: Interpretation
    redating: Redating
    deadlines: Deadlines
    availability: Availability
    identity: Identity
    integrity: Integrity
    interaction: Interaction
    services: Services
    search: Search
    source: str = ""

    def digest(self) -> str:
        data = {f.name: _plain(getattr(self, f.name)) for f in fields(self) if f.name != "source"}
        return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


def _plain(value):
    if isinstance(value, Window):
        return str(value)
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _convert(value, hint, where: str, source: str):
    """Check one YAML value against a type hint; errors name the file and the dotted key."""
    def fail(expected: str) -> ConfigError:
        return ConfigError(f"{source}: key '{where}': expected {expected}, got {value!r}")

    origin = typing.get_origin(hint)
    if hint is Window:
        try:
            return Window.parse(value)
        except ValueError as exc:
            raise fail("a window like 14d, 6m or 1y") from exc
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise fail("a number from 0 to 1")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise fail("a whole number ≥ 0")
        return value
    if hint is str:
        if value is None:
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise fail("a text value")
        return str(value)
    if origin is list:
        if not isinstance(value, list):
            raise fail("a list")
        (item_hint,) = typing.get_args(hint)
        return [_convert(v, item_hint, f"{where}[{i}]", source) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise fail("a mapping")
        _, item_hint = typing.get_args(hint)
        return {str(k): _convert(v, item_hint, f"{where}.{k}", source) for k, v in value.items()}
    if hasattr(hint, "__dataclass_fields__"):
        if not isinstance(value, dict):
            raise fail("a mapping")
        hints = typing.get_type_hints(hint)
        known = [f.name for f in fields(hint) if f.name != "source"]
        unknown = sorted(set(value) - set(known))
        if unknown:
            key = f"{where}.{unknown[0]}" if where else unknown[0]
            raise ConfigError(f"{source}: key '{key}': unknown (known: {', '.join(known)})")
        out = {}
        for name in known:
            key = f"{where}.{name}" if where else name
            if name not in value:
                raise ConfigError(f"{source}: key '{key}': missing")
            out[name] = _convert(value[name], hints[name], key, source)
        return hint(**out)
    raise TypeError(f"no converter for {hint}")  # a programming error, not a user's


def _merge(base: dict, override: dict, where: str, source: str) -> dict:
    """Override keys of the defaults; mappings merge key by key, other values are replaced."""
    out = dict(base)
    for key, value in override.items():
        loc = f"{where}.{key}" if where else str(key)
        if key not in base:
            raise ConfigError(f"{source}: key '{loc}': unknown (known: {', '.join(map(str, base))})")
        # column_windows / periods / placeholder_allowed are open tables: merge them too
        if isinstance(base[key], dict) and isinstance(value, dict):
            if loc.count(".") >= 1:
                merged = dict(base[key])
                merged.update(value)
                out[key] = merged
            else:
                out[key] = _merge(base[key], value, loc, source)
        else:
            out[key] = value
    return out


def _read_yaml(path: Path) -> dict:
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such file") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc})") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of threshold sections")
    return data


def _check_classes(t: Thresholds, source: str) -> None:
    """Class names must be those of records.COLUMN_CLASSES, or a typo silently switches a check off."""
    f = t.freshness
    named = [("freshness.column_windows", list(f.column_windows)), ("freshness.veto_news_classes", f.veto_news_classes),
             ("freshness.veto_notice_classes", f.veto_notice_classes),
             ("freshness.blank_column_classes", f.blank_column_classes)]
    for key, classes in named:
        for cls in classes:
            if cls not in COLUMN_CLASSES:
                raise ConfigError(f"{source}: key '{key}': unknown column class {cls!r}"
                                  f" (known: {', '.join(COLUMN_CLASSES)})")


def _check_patterns(t: Thresholds, source: str) -> None:
    """Regular expressions must compile, or the rule that reads them would fail on every site."""
    named = [("identity.site_code_pattern", t.identity.site_code_pattern)]
    named += [(f"identity.footer_items.{k}", p) for k, ps in t.identity.footer_items.items() for p in ps]
    for key, pattern in named:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"{source}: key '{key}': not a valid regular expression ({exc})") from None


_default_cache: Thresholds | None = None


def load_thresholds(path: str | Path | None = None, overrides: dict | None = None) -> Thresholds:
    """The defaults, with the keys of `path` (a YAML file) and then `overrides` (a dict) laid over them."""
    global _default_cache
    if path is None and not overrides and _default_cache is not None:
        return _default_cache
    data = _read_yaml(DEFAULT_PATH)
    source = str(DEFAULT_PATH)
    if path is not None:
        source = str(path)
        data = _merge(data, _read_yaml(Path(path)), "", source)
    if overrides:
        source = f"{source} + overrides" if path else "overrides"
        data = _merge(data, overrides, "", source)
    result = _convert(data, Thresholds, "", source)
    _check_classes(result, source)
    _check_patterns(result, source)
    result = Thresholds(**{f.name: getattr(result, f.name) for f in fields(result) if f.name != "source"},
                        source=source)
    if path is None and not overrides:
        _default_cache = result
    return result
