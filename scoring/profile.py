"""Indicator profiles (评分指标表): loading, validation with errors naming file and key, and the profile hash."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

import yaml

from zwgk.core.config import ConfigError
from zwgk.core.safe_yaml import load_yaml

PROFILES_DIR = Path(__file__).parent / "profiles"
VETO_GROUP = "否决"
RULE_CODE = re.compile(r"^[A-Z]{2,8}\d{3}$")
# A deduction may look a finding's evidence up by one key; findings carry evidence as a flat mapping.
BY_KEY = re.compile(r"^evidence\.[A-Za-z_][A-Za-z0-9_]*$")
# Site attributes an exemption may test (columns of the scorer's `sites` input).
EXEMPTION_KEYS = {"kind", "external_services"}
SEVERITIES = ("veto", "deduct", "warn")


@dataclass(frozen=True)
class Indicator:
    """One indicator (指标): a 扣分 item with its points, or a 单项否决 item (group 否决, no points)."""

    key: str                    # "发布解读.栏目更新", "否决.栏目不更新"
    group: str
    name: str
    points: float               # the most this indicator can lose (0 for veto items)
    per_finding: float | None   # default deduction per finding instance when the rule code has no entry
    note: str = ""

    @property
    def veto(self) -> bool:
        return self.group == VETO_GROUP


@dataclass(frozen=True)
class Deduction:
    """How much one instance of a rule's finding costs: a flat amount or a table keyed by an evidence value."""

    code: str
    points: float | None = None            # flat amount per instance
    by: str = ""                           # "evidence.column_class" when the amount depends on evidence
    table: Mapping[str, float] = field(default_factory=dict)
    default: float | None = None           # amount when the evidence value is missing from the table
    max: float | None = None               # the most this code may cost one site (inside the indicator cap)
    note: str = ""

    def amount(self, evidence: Mapping) -> float | None:
        """Points per instance for a finding with this evidence; None when the table has no answer."""
        if not self.by:
            return self.points
        value = evidence.get(self.by.split(".", 1)[1]) if isinstance(evidence, Mapping) else None
        return self.table.get(str(value), self.default) if value is not None else self.default


@dataclass(frozen=True)
class Exemption:
    """A group a kind of site is not scored on; the rest of the 100-point part is scaled up to 100."""

    group: str
    when: Mapping[str, object]
    reason: str
    vetoes: tuple[str, ...] = ()     # veto items that judge the exempt group (服务不实用 for 办事服务): exempt too

    def applies(self, site: Mapping) -> bool:
        return all(site.get(key) == value for key, value in self.when.items())


@dataclass(frozen=True)
class EarlyWarning:
    """A 预警 line below a veto line, counted over findings of some rule codes."""

    name: str
    codes: tuple[str, ...]
    at_least: int
    text: str                               # str.format with {n}, {veto_at}, {message}
    each: bool = False                      # one warning per finding (its own message) instead of one per site
    veto_at: int | None = None              # the veto line, for the text
    veto: str = ""                          # veto indicator key; no warning once that veto is hit
    severities: tuple[str, ...] = ("deduct", "warn")
    where: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # evidence key -> accepted values


@dataclass(frozen=True)
class Grade:
    name: str
    min: float


@dataclass(frozen=True)
class ScoringProfile:
    """A validated indicator profile; `indicators` holds veto items first, then groups in file order."""

    name: str
    title: str
    basis: str
    source: str
    hash: str
    total_points: float
    pass_line: float
    bonus_threshold: float
    bonus_points: float
    bonus_note: str
    grades: tuple[Grade, ...]
    veto_grade: str
    ungraded_label: str
    min_assessed_share: float
    suspected_factor: float
    suspected_veto_warns: bool
    groups: Mapping[str, float]
    indicators: Mapping[str, Indicator]
    deductions: Mapping[str, Deduction]
    exemptions: tuple[Exemption, ...]
    early_warnings: tuple[EarlyWarning, ...]
    # the profile's content as JSON in the file's order (the order groups and indicators are shown in): stored with
    # the scores (table scoring_profiles), so a re-score or a report of that check uses the very profile it was
    # scored with, whatever its file has become since; the hash is of the key-sorted form
    content: str = field(default="", compare=False, repr=False)

    def exempt_indicators(self, site: Mapping) -> dict[str, str]:
        """indicator key -> the exemption's reason, for every indicator an exemption takes off this site: the
        indicators of its group and the veto items it names (a site without 办事 cannot fail 服务不实用)."""
        out: dict[str, str] = {}
        for e in self.exemptions:
            if not e.applies(site):
                continue
            for key, ind in self.indicators.items():
                if ind.group == e.group or (ind.veto and ind.name in e.vetoes):
                    out.setdefault(key, e.reason)
        return out

    def grade_for(self, score: float) -> str:
        for grade in self.grades:
            if score >= grade.min:
                return grade.name
        return self.grades[-1].name

    def deduction_for(self, code: str, indicator: str, evidence: Mapping) -> float | None:
        """Points per instance of a finding; None when neither the code nor its indicator gives an amount."""
        rule = self.deductions.get(code)
        if rule is not None:
            amount = rule.amount(evidence)
            if amount is not None:
                return amount
        ind = self.indicators.get(indicator)
        return ind.per_finding if ind is not None else None


# local_basis (rule code -> a province's or city's own documents) is read by the reports, not by the scorer
_TOP_KEYS = {"name", "title", "basis", "total_points", "pass_line", "bonus", "grades", "veto_grade", "ungraded",
             "suspected", "veto", "groups", "deductions", "exemptions", "early_warnings", "local_basis"}
_REQUIRED = ("name", "total_points", "pass_line", "grades", "veto", "groups")


class _Checker:
    """Builds ConfigErrors that name the profile file and the dotted key."""

    def __init__(self, path: Path):
        self.path = path

    def error(self, key: str, expected: str) -> ConfigError:
        return ConfigError(f"{self.path}: key '{key}': {expected}")

    def mapping(self, value, key: str, known: set[str] | None = None) -> dict:
        if not isinstance(value, dict):
            raise self.error(key, "expected a mapping")
        if known is not None:
            unknown = sorted(str(k) for k in value if k not in known)
            if unknown:
                raise self.error(f"{key}.{unknown[0]}" if key else unknown[0],
                                 f"unknown key (known: {', '.join(sorted(known))})")
        return value

    def number(self, value, key: str, *, allow_none: bool = False, upper: float | None = None) -> float | None:
        if value is None and allow_none:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(key, f"expected a number, got {value!r}")
        if value < 0:
            raise self.error(key, f"must not be negative, got {value!r}")
        if upper is not None and value > upper:
            raise self.error(key, f"must be at most {upper:g}, got {value!r}")
        return float(value)

    def text(self, value, key: str, *, required: bool = False) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, (str, int)) or (required and str(value).strip() == ""):
            raise self.error(key, "expected a non-empty string" if required else "expected a string")
        return str(value)


def resolve_profile_path(name_or_file: str | Path) -> Path:
    """A bundled profile by name (`gov2019`) or a YAML file path."""
    text = str(name_or_file)
    path = Path(text)
    if path.suffix in (".yaml", ".yml") or "/" in text or path.exists():
        if not path.exists():
            raise ConfigError(f"{path}: no such scoring profile file")
        return path
    bundled = PROFILES_DIR / f"{text}.yaml"
    if not bundled.exists():
        known = ", ".join(sorted(p.stem for p in PROFILES_DIR.glob("*.yaml")))
        raise ConfigError(f"scoring profile '{text}' not found (bundled: {known}; or give a .yaml file)")
    return bundled


def load_profile(name_or_file: str | Path = "gov2019") -> ScoringProfile:
    path = resolve_profile_path(name_or_file)
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc})") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    return parse_profile(data, path)


def profile_hash(data) -> str:
    """sha256 of the canonical JSON of the profile's content: comments and layout do not change it."""
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def parse_profile(data, path: str | Path) -> ScoringProfile:
    path = Path(path)
    c = _Checker(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level: expected a mapping of profile keys")
    c.mapping(data, "", _TOP_KEYS)
    for key in _REQUIRED:
        if key not in data:
            raise c.error(key, "required")
    name = c.text(data["name"], "name", required=True)
    total = c.number(data["total_points"], "total_points")
    if total <= 0:
        raise c.error("total_points", "must be greater than 0")
    pass_line = c.number(data["pass_line"], "pass_line", upper=total)

    bonus = c.mapping(data.get("bonus") or {}, "bonus", {"threshold", "points", "note"})
    bonus_threshold = c.number(bonus.get("threshold", pass_line), "bonus.threshold", upper=total)
    bonus_points = c.number(bonus.get("points", 0), "bonus.points")

    grades = _parse_grades(c, data["grades"], pass_line)
    veto_grade = c.text(data.get("veto_grade", grades[-1].name), "veto_grade", required=True)
    failing = [g.name for g in grades if g.min < pass_line]
    if veto_grade not in failing:
        raise c.error("veto_grade", f"must be a grade below the pass line ({', '.join(failing)}), got {veto_grade!r}")

    ungraded = c.mapping(data.get("ungraded") or {}, "ungraded", {"below_share", "label"})
    min_share = c.number(ungraded.get("below_share", 0), "ungraded.below_share", upper=1)
    ungraded_label = c.text(ungraded.get("label", "待定"), "ungraded.label", required=True)

    suspected = c.mapping(data.get("suspected") or {}, "suspected", {"factor", "veto"})
    suspected_factor = c.number(suspected.get("factor", 0), "suspected.factor", upper=1)
    suspected_veto = suspected.get("veto", "warn")
    if suspected_veto not in ("warn", "veto"):
        raise c.error("suspected.veto", f"'warn' or 'veto', got {suspected_veto!r}")

    indicators: dict[str, Indicator] = {}
    for item, spec in c.mapping(data["veto"], "veto").items():
        key = f"veto.{item}"
        spec = c.mapping(spec if spec is not None else {}, key, {"line", "note"})
        full = f"{VETO_GROUP}.{item}"
        indicators[full] = Indicator(full, VETO_GROUP, str(item), 0.0, None,
                                     c.text(spec.get("line", spec.get("note", "")), key))

    groups: dict[str, float] = {}
    for group, spec in c.mapping(data["groups"], "groups").items():
        gkey = f"groups.{group}"
        if group == VETO_GROUP or "." in str(group):
            raise c.error(gkey, f"a group name must not be '{VETO_GROUP}' nor contain '.'")
        spec = c.mapping(spec, gkey, {"points", "indicators", "note"})
        if "points" not in spec or "indicators" not in spec:
            raise c.error(gkey, "needs 'points' and 'indicators'")
        points = c.number(spec["points"], f"{gkey}.points")
        members = c.mapping(spec["indicators"], f"{gkey}.indicators")
        if not members:
            raise c.error(f"{gkey}.indicators", "at least one indicator")
        subtotal = 0.0
        for ind, ispec in members.items():
            ikey = f"{gkey}.indicators.{ind}"
            if "." in str(ind):
                raise c.error(ikey, "an indicator name must not contain '.'")
            if not isinstance(ispec, dict):
                ispec = {"points": ispec}
            c.mapping(ispec, ikey, {"points", "per_finding", "note"})
            if "points" not in ispec:
                raise c.error(f"{ikey}.points", "required")
            ipoints = c.number(ispec["points"], f"{ikey}.points")
            per = c.number(ispec.get("per_finding"), f"{ikey}.per_finding", allow_none=True)
            full = f"{group}.{ind}"
            indicators[full] = Indicator(full, str(group), str(ind), ipoints, per, c.text(ispec.get("note"), ikey))
            subtotal += ipoints
        if abs(subtotal - points) > 1e-9:
            raise c.error(f"{gkey}.points", f"is {points:g} but its indicators add up to {subtotal:g}")
        groups[str(group)] = points
    if abs(sum(groups.values()) - total) > 1e-9:
        raise c.error("total_points", f"is {total:g} but the groups add up to {sum(groups.values()):g}")

    deductions = {code: _parse_deduction(c, code, spec)
                  for code, spec in c.mapping(data.get("deductions") or {}, "deductions").items()}

    exemptions = []
    for i, spec in enumerate(data.get("exemptions") or []):
        key = f"exemptions[{i}]"
        spec = c.mapping(spec, key, {"group", "when", "reason", "vetoes"})
        group = c.text(spec.get("group"), f"{key}.group", required=True)
        if group not in groups:
            raise c.error(f"{key}.group", f"unknown group {group!r} (groups: {', '.join(groups)})")
        when = c.mapping(spec.get("when") or {}, f"{key}.when", EXEMPTION_KEYS)
        if not when:
            raise c.error(f"{key}.when", "at least one condition (kind, external_services)")
        vetoes = spec.get("vetoes") or []
        if not isinstance(vetoes, list) or any(f"{VETO_GROUP}.{v}" not in indicators for v in vetoes):
            raise c.error(f"{key}.vetoes", "a list of veto items of the profile (e.g. [服务不实用])")
        exemptions.append(Exemption(group, dict(when), c.text(spec.get("reason"), f"{key}.reason", required=True),
                                    tuple(str(v) for v in vetoes)))
    if any(sum(groups[e.group] for e in exemptions if e.when == ex.when) >= total for ex in exemptions):
        raise c.error("exemptions", "exemptions must leave some points to score")

    warnings = [_parse_warning(c, i, spec, indicators)
                for i, spec in enumerate(data.get("early_warnings") or [])]

    return ScoringProfile(
        name=name, title=c.text(data.get("title"), "title"), basis=c.text(data.get("basis"), "basis"),
        source=str(path), hash=profile_hash(data), total_points=total, pass_line=pass_line,
        bonus_threshold=bonus_threshold, bonus_points=bonus_points, bonus_note=c.text(bonus.get("note"), "bonus.note"),
        grades=grades, veto_grade=veto_grade, ungraded_label=ungraded_label, min_assessed_share=min_share,
        suspected_factor=suspected_factor, suspected_veto_warns=suspected_veto == "warn",
        groups=groups, indicators=indicators, deductions=deductions,
        exemptions=tuple(exemptions), early_warnings=tuple(warnings),
        content=json.dumps(data, ensure_ascii=False, separators=(",", ":")),
    )


def profile_from_content(content: str, source: str) -> ScoringProfile:
    """A profile from the content stored with scores (`ScoringProfile.content`), validated as a file would be."""
    try:
        data = json.loads(content)
    except ValueError as exc:
        raise ConfigError(f"{source}: the stored scoring profile is not valid JSON ({exc})") from exc
    return parse_profile(data, source)


def _parse_grades(c: _Checker, value, pass_line: float) -> tuple[Grade, ...]:
    if not isinstance(value, list) or not value:
        raise c.error("grades", "a list of {name, min} from the best grade down")
    grades = []
    for i, spec in enumerate(value):
        key = f"grades[{i}]"
        spec = c.mapping(spec, key, {"name", "min"})
        grades.append(Grade(c.text(spec.get("name"), f"{key}.name", required=True),
                            c.number(spec.get("min"), f"{key}.min")))
    for i in range(1, len(grades)):
        if grades[i].min >= grades[i - 1].min:
            raise c.error(f"grades[{i}].min", "grades go from the best down with strictly falling minimums")
    if grades[-1].min != 0:
        raise c.error(f"grades[{len(grades) - 1}].min", "the lowest grade must start at 0")
    if pass_line not in {g.min for g in grades}:
        # otherwise one band would hold both passing and failing scores
        raise c.error("grades", f"one grade must start at the pass line {pass_line:g}")
    if len({g.name for g in grades}) != len(grades):
        raise c.error("grades", "grade names must be unique")
    return tuple(grades)


def _parse_deduction(c: _Checker, code, spec) -> Deduction:
    key = f"deductions.{code}"
    if not isinstance(code, str) or not RULE_CODE.match(code):
        raise c.error(key, "a rule code such as LINK001")
    if not isinstance(spec, dict):  # the short form `CODE: amount`
        return Deduction(code, c.number(spec, key))
    c.mapping(spec, key, {"points", "by", "default", "max", "note"})
    cap = c.number(spec.get("max"), f"{key}.max", allow_none=True)
    note = c.text(spec.get("note"), f"{key}.note")
    by = spec.get("by")
    if by is None:
        if "default" in spec:
            raise c.error(f"{key}.default", "only with 'by'")
        return Deduction(code, c.number(spec.get("points"), f"{key}.points"), max=cap, note=note)
    if not isinstance(by, str) or not BY_KEY.match(by):
        raise c.error(f"{key}.by", f"'evidence.<key>', got {by!r}")
    table = c.mapping(spec.get("points"), f"{key}.points")
    amounts = {str(k): c.number(v, f"{key}.points.{k}") for k, v in table.items()}
    if not amounts:
        raise c.error(f"{key}.points", "at least one value")
    default = c.number(spec.get("default"), f"{key}.default", allow_none=True)
    return Deduction(code, None, by, amounts, default, cap, note)


def _parse_warning(c: _Checker, i: int, spec, indicators: Mapping[str, Indicator]) -> EarlyWarning:
    key = f"early_warnings[{i}]"
    spec = c.mapping(spec, key, {"name", "codes", "at_least", "veto_at", "veto", "severities", "where", "text",
                                 "each"})
    name = c.text(spec.get("name"), f"{key}.name", required=True)
    codes = spec.get("codes")
    if not isinstance(codes, list) or not codes or not all(isinstance(x, str) and RULE_CODE.match(x) for x in codes):
        raise c.error(f"{key}.codes", "a non-empty list of rule codes")
    at_least = c.number(spec.get("at_least", 1), f"{key}.at_least")
    veto_at = c.number(spec.get("veto_at"), f"{key}.veto_at", allow_none=True)
    if veto_at is not None and veto_at <= at_least:
        raise c.error(f"{key}.veto_at", f"must be above at_least ({at_least:g})")
    veto = c.text(spec.get("veto"), f"{key}.veto")
    if veto:
        veto = veto if veto.startswith(VETO_GROUP + ".") else f"{VETO_GROUP}.{veto}"
        if veto not in indicators:
            raise c.error(f"{key}.veto", f"unknown indicator {veto!r} (veto items: "
                          f"{', '.join(k for k, v in indicators.items() if v.veto)})")
    severities = spec.get("severities", ["deduct", "warn"])
    if not isinstance(severities, list) or not severities or any(s not in SEVERITIES for s in severities):
        raise c.error(f"{key}.severities", f"a list of {', '.join(SEVERITIES)}")
    where = {}
    for wkey, values in c.mapping(spec.get("where") or {}, f"{key}.where").items():
        if not BY_KEY.match(str(wkey)):
            raise c.error(f"{key}.where.{wkey}", "keys are 'evidence.<key>'")
        if not isinstance(values, list) or not values:
            raise c.error(f"{key}.where.{wkey}", "a non-empty list of accepted values")
        where[str(wkey).split(".", 1)[1]] = tuple(str(v) for v in values)
    each = spec.get("each", False)
    if not isinstance(each, bool):
        raise c.error(f"{key}.each", "true or false")
    text = c.text(spec.get("text"), f"{key}.text", required=True)
    try:
        text.format(n=1, veto_at=1, message="")
    except (KeyError, IndexError, ValueError) as exc:
        raise c.error(f"{key}.text", f"may use {{n}}, {{veto_at}} and {{message}} only ({exc})") from exc
    return EarlyWarning(name, tuple(codes), int(at_least), text, each, None if veto_at is None else int(veto_at),
                        veto, tuple(severities), where)


def check_rules(profile: ScoringProfile, rules: Iterable) -> None:
    """Every rule's indicator must be in the profile, and every deducting rule must have an amount.

    `rules` are objects with `code`, `indicator` and `severity` (the rule registry's entries)."""
    rules = list(rules)
    known = {r.code: r for r in rules}
    for rule in rules:
        if rule.indicator not in profile.indicators:
            raise ConfigError(f"{profile.source}: rule {rule.code} scores indicator {rule.indicator!r}, which is not"
                              f" in profile '{profile.name}' (add it under 'groups' or 'veto', or use another profile)")
        if rule.severity == "deduct" and profile.deduction_for(rule.code, rule.indicator, {}) is None \
                and not (rule.code in profile.deductions and profile.deductions[rule.code].by):
            raise ConfigError(f"{profile.source}: key 'deductions.{rule.code}': rule {rule.code} deducts points but"
                              f" neither it nor indicator {rule.indicator!r} (per_finding) gives an amount")
    for code in profile.deductions:
        if code not in known:
            raise ConfigError(f"{profile.source}: key 'deductions.{code}': no rule with this code in the registry")
        if known[code].severity != "deduct":
            raise ConfigError(f"{profile.source}: key 'deductions.{code}': rule {code} has severity"
                              f" '{known[code].severity}'; only 'deduct' rules take points")
    for i, warning in enumerate(profile.early_warnings):
        for code in warning.codes:
            if code not in known:
                raise ConfigError(f"{profile.source}: key 'early_warnings[{i}].codes': no rule {code} in the registry")
