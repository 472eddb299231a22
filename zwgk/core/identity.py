"""A finding's identity across rounds (rule, site, target, field): how 回头看, explanations and confirmation match."""

from __future__ import annotations

import json
import re
from typing import Mapping
from urllib.parse import urlsplit

# /index.html, /default.htm … name the folder's own page: /xxgk/ and /xxgk/index.html are one target.
_INDEX_PAGE = re.compile(r"/(index|default)\.(s?html?|jsp|php|aspx?)$", re.I)


def site_hosts(profile: Mapping | str) -> frozenset[str]:
    """The host names that are the site itself: homepage host, allowed_domains, host_map keys and addresses.

    Ports are dropped: a site served on another port (a mirror, a staging copy, a new fixture server) is the
    same site. `profile` is a SiteProfile as a dict or its stored JSON (run_sites.profile_json)."""
    if isinstance(profile, str):
        profile = json.loads(profile or "{}")
    hosts = set()
    homepage = str(profile.get("homepage") or "")
    if homepage:
        hosts.add(_host(homepage))
    for domain in profile.get("allowed_domains") or ():
        hosts.add(str(domain).lower().split(":")[0])
    for key, value in dict(profile.get("host_map") or {}).items():
        hosts.add(str(key).lower().split(":")[0])
        hosts.add(str(value).lower().split(":")[0])
    hosts.discard("")
    return frozenset(hosts)


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def normalise_url(url: str, hosts: frozenset[str] | set[str] = frozenset()) -> str:
    """The URL as a round-independent target: the site's own pages as their path (+ query), others as host+path.

    Scheme, port and fragment are dropped; a host of the site (see site_hosts) is dropped altogether, so
    http://127.0.0.1:8080/xxgk/index.html and https://www.example.gov.cn/xxgk/ both become "/xxgk/"."""
    url = (url or "").strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return url
    if not parts.scheme and not parts.netloc:
        return url
    path = _INDEX_PAGE.sub("/", parts.path or "/") or "/"
    query = f"?{parts.query}" if parts.query else ""
    if host in hosts:
        return path + query
    return f"//{host}{path}{query}"


def finding_identity(finding: Mapping, hosts: frozenset[str] | set[str] = frozenset()) -> str:
    """The stable identity of a finding: "rule|site|target|field".

    - rule: the rule code (META001 …); site: the site id of the profile.
    - target: the finding's URL normalised by normalise_url (the page, column page or resource it is about);
      when it has none, its parent page's URL; when neither, "栏目:" + the column name (never the column id,
      which is derived from the URL with its port). A finding about something the site lacks altogether
      (evidence "nearest_column": a 公开事项 with no column) is about no page: its target is "公开事项", since
      the URL it carries is only where the item was looked for, which depends on what the crawl found first.
    - field: evidence["field"] (the 要素 a metadata rule judged); for a catalog finding (evidence "item"),
      "事项:" + its 公开路径 (evidence "path"); else, for an element without a URL, its link text (an <img
      src=""> is told apart from its neighbours by its text); else "".
    Positions (seq, list order, page order) are never part of it: reordered pages keep their identities."""
    evidence = finding.get("evidence") or {}
    if isinstance(evidence, str):
        try:
            evidence = json.loads(evidence)
        except ValueError:
            evidence = {}
    if not isinstance(evidence, dict):
        evidence = {}
    url = str(finding.get("url") or "")
    if "nearest_column" in evidence:
        target = "公开事项"
    else:
        target = normalise_url(url, hosts) or normalise_url(str(finding.get("parent_url") or ""), hosts)
    if not target:
        target = "栏目:" + str(finding.get("column_name") or "")
    field = str(evidence.get("field") or "")
    if not field and evidence.get("item"):
        field = "事项:" + str(evidence.get("path") or evidence.get("item"))
    if not field and not url:
        field = str(evidence.get("link_text") or "")
    return "|".join((str(finding.get("code") or ""), str(finding.get("site_id") or ""), target, field))
