"""Site profiles: loading, validation with messages naming file and field, and the profile hash."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import socket
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from zwgk.core.records import COLUMN_CLASSES
from zwgk.core.safe_yaml import load_yaml


class ConfigError(ValueError):
    """A profile, catalog or scoring file that cannot be used; the message names file and field."""


@dataclass(frozen=True)
class ColumnConfig:
    """A column (栏目) the evaluator lists explicitly; overrides a discovered one with the same URL."""

    name: str
    url: str
    cls: str = "unknown"
    office: str = ""
    catalog_path: str = ""


# Limits a float must stay within (inclusive): a timeout of 0 or .inf would hang a crawl for ever.
FLOAT_LIMIT_RANGES = {"delay": (0.0, 60.0), "timeout": (1.0, 300.0), "attachment_timeout": (1.0, 600.0)}


@dataclass(frozen=True)
class CrawlLimits:
    max_pages: int = 5000
    max_depth: int = 8
    concurrency_per_host: int = 4
    delay: float = 0.25           # seconds between requests to one host (AutoThrottle may raise it)
    timeout: float = 15.0         # seconds; RULEBOOK §2 counts a homepage failed after 15 s
    obey_robots: bool = True
    max_query_variants: int = 30  # distinct query strings per path before it is treated as a trap
    max_list_pages: int = 200     # list pages followed per column (endless pagination guard)
    max_rendered_pages: int = 10  # pages rendered in headless Chromium (lists/menus built by script); 0 = off
    max_page_mb: int = 16         # a page's body, as received and after decompression (gzip/deflate/br bombs)
    max_link_checks_per_page: int = 1000  # new links and resources checked from one page (a page of 50,000 links)
    max_link_checks: int = 20000  # links and resources checked per site in one run
    # attachments (xlsx, xls, csv, docx, pdf) read for personal information; a file past any of these is
    # recorded as not assessed, with the limit it hit (PRIV004)
    attachment_max_mb: int = 10            # file size read at most (MB)
    attachment_max_rows: int = 20000       # spreadsheet / csv rows, all sheets together
    attachment_max_pages: int = 200        # pdf pages
    attachment_timeout: float = 20.0       # seconds spent reading one file
    attachment_max_inflated_mb: int = 100  # total uncompressed size of a zip-based file (xlsx, docx), MB
    attachment_max_ratio: int = 200        # uncompressed / compressed size of any zip member (zip bomb guard)


@dataclass(frozen=True)
class SiteProfile:
    id: str
    name: str
    office: str                   # 主办单位
    site_code: str                # 网站标识码 (SiteIDCode)
    homepage: str
    allowed_domains: tuple[str, ...]
    kind: str = "portal"          # portal (门户) | department (部门网站)
    external_services: bool = True  # False: department without 对外服务职能 (办事服务 exempt)
    columns: tuple[ColumnConfig, ...] = ()
    catalog: str = ""             # path to a catalog file, relative to the profile file
    limits: CrawlLimits = field(default_factory=CrawlLimits)
    allow_private_hosts: tuple[str, ...] = ()
    # host (or host:port) → the address actually connected to (a staging copy, a mirror); URLs stay the site's
    host_map: dict[str, str] = field(default_factory=dict)
    no_external: bool = False     # True: nothing outside the profile's hosts is contacted (links not checked)
    source: str = ""              # the file this profile came from

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("source")
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    def digest(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]


SITE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_TOP_KEYS = {"id", "name", "office", "site_code", "homepage", "allowed_domains", "kind", "external_services",
             "columns", "catalog", "limits", "allow_private_hosts", "host_map", "no_external"}
# host name (letters, digits, '-', '.', IDNA already applied) or an IP literal, optional :port
_HOST = re.compile(r"^(?:[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_-]{1,63})*|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:.]+\])$")


def read_data_file(path: str | Path, what: str = ""):
    """The YAML of a data file (lexicon, labels, thresholds …) through the safe loader; errors name the file."""
    try:
        return load_yaml(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read{' ' + what if what else ''}: {exc}") from exc


def load_profiles(paths: list[str | Path]) -> list[SiteProfile]:
    """Profiles from files or folders (*.yaml, *.yml); one file holds one site or `sites: [...]`."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(q for q in p.rglob("*") if q.suffix in (".yaml", ".yml") and _is_profile_file(q)))
        elif p.exists():
            files.append(p)
        else:
            raise ConfigError(f"{p}: no such file or folder")
    profiles: list[SiteProfile] = []
    seen: dict[str, str] = {}
    for f in files:
        for prof in load_profile_file(f):
            if prof.id in seen:
                raise ConfigError(f"{f}: site id '{prof.id}' is already defined in {seen[prof.id]}")
            seen[prof.id] = str(f)
            profiles.append(prof)
    if not profiles:
        raise ConfigError(f"no site profiles found in {', '.join(map(str, paths))}")
    check_host_maps(profiles)
    return profiles


def check_host_maps(profiles: list[SiteProfile]) -> None:
    """One crawl connects each host one way: two profiles mapping a host to different addresses is an error."""
    seen: dict[str, tuple[str, SiteProfile]] = {}
    for prof in profiles:
        for host, target in prof.host_map.items():
            if host in seen and seen[host][0] != target:
                other = seen[host][1]
                raise ConfigError(f"{prof.source}: field 'host_map.{host}': maps to {target!r}, but {other.source} "
                                  f"(site '{other.id}') maps it to {seen[host][0]!r}")
            seen[host] = (target, prof)


def _is_profile_file(path: Path) -> bool:
    # a folder of profiles may also hold catalogs and expectations; profiles are those naming sites
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except Exception:
        return True  # let load_profile_file report the error with its location
    return isinstance(data, dict) and ("sites" in data or "homepage" in data)


def load_profile_file(path: str | Path) -> list[SiteProfile]:
    path = Path(path)
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc})") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if isinstance(data, dict) and "sites" in data:
        items = data["sites"]
        if not isinstance(items, list):
            raise ConfigError(f"{path}: field 'sites' must be a list of site profiles")
        return [parse_profile(item, path, f"sites[{i}]") for i, item in enumerate(items)]
    return [parse_profile(data, path, "")]


def parse_profile(data, path: Path, where: str) -> SiteProfile:
    def err(key: str, expected: str) -> ConfigError:
        loc = f"{where}.{key}" if where else key
        return ConfigError(f"{path}: field '{loc}': {expected}")

    if not isinstance(data, dict):
        raise ConfigError(f"{path}: {where or 'top level'}: expected a mapping of profile fields")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise err(unknown[0], f"unknown field (known: {', '.join(sorted(_TOP_KEYS))})")
    for key in ("id", "name", "office", "site_code", "homepage"):
        if not isinstance(data.get(key), (str, int)) or str(data.get(key)).strip() == "":
            raise err(key, "required, a non-empty string")
    site_id = str(data["id"])
    if not SITE_ID.match(site_id):
        raise err("id", "lower-case letters, digits, '-' or '_' (used in file names)")
    homepage = str(data["homepage"])
    parts = urlsplit(homepage)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise err("homepage", f"an http(s) URL, got {homepage!r}")
    domains = data.get("allowed_domains") or [parts.netloc]
    if not isinstance(domains, list) or not all(isinstance(d, str) and d for d in domains):
        raise err("allowed_domains", "a list of host names (host or host:port)")
    kind = data.get("kind", "portal")
    if kind not in ("portal", "department"):
        raise err("kind", f"'portal' or 'department', got {kind!r}")
    ext = data.get("external_services", True)
    if not isinstance(ext, bool):
        raise err("external_services", "true or false")
    columns = []
    for i, col in enumerate(data.get("columns") or []):
        if not isinstance(col, dict) or not col.get("name") or not col.get("url"):
            raise err(f"columns[{i}]", "a mapping with at least 'name' and 'url'")
        extra = sorted(set(col) - {"name", "url", "class", "office", "catalog_path"})
        if extra:
            raise err(f"columns[{i}].{extra[0]}", "unknown field (known: name, url, class, office, catalog_path)")
        cls = col.get("class", "unknown")
        if cls not in COLUMN_CLASSES:
            raise err(f"columns[{i}].class", f"one of {', '.join(COLUMN_CLASSES)}, got {cls!r}")
        why = _column_url_problem(str(col["url"]), domains, data.get("allow_private_hosts") or [],
                                  data.get("host_map") or {})
        if why:
            raise err(f"columns[{i}].url", why)
        columns.append(ColumnConfig(name=str(col["name"]), url=str(col["url"]), cls=cls,
                                    office=str(col.get("office", "")), catalog_path=str(col.get("catalog_path", ""))))
    limits_data = data.get("limits") or {}
    if not isinstance(limits_data, dict):
        raise err("limits", "a mapping of crawl limits")
    defaults = CrawlLimits()
    limit_values = {}
    for key, value in limits_data.items():
        if not hasattr(defaults, key):
            raise err(f"limits.{key}", f"unknown limit (known: {', '.join(asdict(defaults))})")
        want = type(getattr(defaults, key))
        if want is bool:
            ok = isinstance(value, bool)
        elif want is float:
            low, high = FLOAT_LIMIT_RANGES.get(key, (0.0, 1e9))
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high
        elif key == "max_rendered_pages":
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        else:
            ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
        if not ok:
            low, high = FLOAT_LIMIT_RANGES.get(key, (0.0, 1e9))
            expected = {bool: "true or false", float: f"a number from {low:g} to {high:g} (seconds)",
                        int: "a whole number > 0"}[want]
            if key == "max_rendered_pages":
                expected = "a whole number ≥ 0 (0 switches rendering off)"
            raise err(f"limits.{key}", f"{expected}, got {value!r}")
        limit_values[key] = want(value)
    private = data.get("allow_private_hosts") or []
    if not isinstance(private, list) or not all(isinstance(h, str) for h in private):
        raise err("allow_private_hosts", "a list of host names or IP addresses")
    host_map = _parse_host_map(data.get("host_map"), err)
    no_external = data.get("no_external", False)
    if not isinstance(no_external, bool):
        raise err("no_external", f"true or false, got {no_external!r}")
    catalog = data.get("catalog", "") or ""
    if catalog and not isinstance(catalog, str):
        raise err("catalog", "a path to a catalog file")
    if catalog and not Path(catalog).is_absolute():
        catalog = str((path.parent / catalog).resolve())
    return SiteProfile(
        id=site_id, name=str(data["name"]), office=str(data["office"]), site_code=str(data["site_code"]),
        homepage=homepage, allowed_domains=tuple(d.lower() for d in domains), kind=kind,
        external_services=ext, columns=tuple(columns), catalog=catalog,
        limits=CrawlLimits(**limit_values), allow_private_hosts=tuple(private), host_map=host_map,
        no_external=no_external, source=str(path),
    )


def _column_url_problem(url: str, domains: list, private: list, host_map: dict) -> str:
    """Why a configured column's URL could never be crawled ('' when it can): the crawl would drop it silently."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"an http(s) URL of the site, got {url!r}"
    host, netloc = parts.hostname.lower(), parts.netloc.lower()
    inside = any(netloc == d.lower() or (":" not in d and (host == d.lower() or host.endswith("." + d.lower())))
                 for d in domains if isinstance(d, str))
    if not inside:
        return f"a URL on the site's hosts (allowed_domains: {', '.join(map(str, domains))}), got {url!r}"
    mapped = {str(k).lower() for k in host_map} if isinstance(host_map, dict) else set()
    allowed = {str(h).lower() for h in private} if isinstance(private, list) else set()
    if host not in allowed and netloc not in mapped and host not in mapped and _private_literal(host):
        return (f"a private, loopback or link-local address is never contacted unless allow_private_hosts "
                f"names it, got {url!r}")
    return ""


def _private_literal(host: str) -> bool:
    """True for an IP literal (any form a browser accepts: 127.1, 2130706433, 0177.0.0.1) or localhost that is
    not a public address; decided without DNS (a profile is read offline)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        try:
            ip = ipaddress.ip_address(socket.inet_aton(host))
        except OSError:
            return False
    return not ip.is_global


def split_netloc(netloc: str) -> tuple[str, int | None]:
    """'host:port' → (host, port); '[::1]:8080' → ('[::1]', 8080); a missing port is None."""
    host, sep, port = netloc.rpartition(":")
    if not sep or "]" in port or not host:
        return netloc, None
    return host, int(port) if port.isdigit() else -1


def _parse_host_map(value, err) -> dict[str, str]:
    """host_map: {site host[:port]: address[:port]}; both sides checked so a typo fails before the crawl."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise err("host_map", "a mapping of the site's host names to the address to connect to, "
                              "e.g. {www.example.gov.cn: 127.0.0.1:8080}")
    out = {}
    for key, target in value.items():
        for text, what in ((key, "a host name or host:port of the site"), (target, "an address or address:port")):
            host, port = split_netloc(str(text).strip().lower()) if isinstance(text, (str, int)) else ("", None)
            if not host or not _HOST.match(host) or (port is not None and not 0 < port < 65536) \
                    or "/" in str(text):
                raise err(f"host_map.{key}", f"{what} (no scheme, no path), got {text!r}")
        out[str(key).strip().lower()] = str(target).strip().lower()
    return out


def with_crawl_options(profiles: list[SiteProfile], no_external: bool = False,
                       no_render: bool = False) -> list[SiteProfile]:
    """The profiles with the command line's --no-external / --no-render applied (stored with the run)."""
    out = []
    for p in profiles:
        if no_external:
            p = replace(p, no_external=True)
        if no_render:
            p = replace(p, limits=replace(p.limits, max_rendered_pages=0))
        out.append(p)
    return out


def profiles_hash(profiles: list[SiteProfile]) -> str:
    return hashlib.sha256("".join(p.digest() for p in profiles).encode()).hexdigest()[:16]


def profile_from_json(text: str) -> SiteProfile:
    """The profile a run stored (run_sites.profile_json), so a resumed crawl uses exactly what it started with."""
    data = json.loads(text)
    data["allowed_domains"] = tuple(data["allowed_domains"])
    data["allow_private_hosts"] = tuple(data["allow_private_hosts"])
    data["columns"] = tuple(ColumnConfig(**c) for c in data["columns"])
    data["limits"] = CrawlLimits(**data["limits"])
    data.setdefault("host_map", {})
    return SiteProfile(**data)
