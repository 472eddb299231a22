"""Site profiles: loading one or many, and malformed ones failing with file, field and expectation named."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from openpyxl import Workbook

from zwgk.core.config import ConfigError, load_profiles, profile_from_json, with_crawl_options

GOOD = {
    "id": "demo", "name": "示例市人民政府", "office": "示例市人民政府办公室", "site_code": "4499000001",
    "homepage": "https://www.example.gov.cn/",
}


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_single_and_many_sites_and_folders(tmp_path):
    write(tmp_path, "one.yaml", GOOD)
    write(tmp_path, "many.yaml", {"sites": [dict(GOOD, id="a"), dict(GOOD, id="b", kind="department")]})
    write(tmp_path, "catalog.yaml", {"items": []})  # not a profile: ignored in a folder
    profiles = load_profiles([tmp_path])
    assert sorted(p.id for p in profiles) == ["a", "b", "demo"]
    demo = [p for p in profiles if p.id == "demo"][0]
    assert demo.allowed_domains == ("www.example.gov.cn",)
    assert demo.limits.timeout == 15 and demo.limits.obey_robots is True
    assert demo.allow_private_hosts == ()
    assert profile_from_json(demo.to_json()).digest() == demo.digest()


@pytest.mark.parametrize("change, message", [
    ({"homepage": "ftp://x"}, "field 'homepage': an http(s) URL"),
    ({"id": "Bad Id"}, "field 'id'"),
    ({"name": ""}, "field 'name': required"),
    ({"limits": {"timeout": "fast"}}, "field 'limits.timeout': a number from 1 to 300 (seconds), got 'fast'"),
    ({"limits": {"max_pages": -3}}, "field 'limits.max_pages': a whole number > 0"),
    ({"limits": {"speed": 1}}, "field 'limits.speed': unknown limit"),
    ({"kind": "county"}, "field 'kind'"),
    ({"columns": [{"name": "通知公告", "url": "https://x/", "class": "新闻"}]}, "field 'columns[0].class'"),
    ({"colums": []}, "field 'colums': unknown field"),
    ({"host_map": ["127.0.0.1"]}, "field 'host_map': a mapping of the site's host names"),
    ({"host_map": {"www.example.gov.cn": "http://127.0.0.1:8080/"}}, "field 'host_map.www.example.gov.cn': an address"),
    ({"host_map": {"www.example.gov.cn": "127.0.0.1:99999"}}, "field 'host_map.www.example.gov.cn': an address"),
    ({"host_map": {"https://www.example.gov.cn": "127.0.0.1"}}, "a host name or host:port of the site"),
    ({"no_external": "yes"}, "field 'no_external': true or false, got 'yes'"),
    ({"limits": {"max_rendered_pages": -1}}, "field 'limits.max_rendered_pages': a whole number ≥ 0"),
    ({"limits": {"attachment_max_rows": 0}}, "field 'limits.attachment_max_rows': a whole number > 0, got 0"),
    ({"limits": {"attachment_max_mb": 2.5}}, "field 'limits.attachment_max_mb': a whole number > 0, got 2.5"),
    ({"limits": {"attachment_timeout": 0}}, "field 'limits.attachment_timeout': a number from 1 to 600 (seconds)"),
])
def test_malformed_profile_names_file_field_and_expectation(tmp_path, change, message):
    path = write(tmp_path, "bad.yaml", dict(GOOD, **change))
    with pytest.raises(ConfigError) as err:
        load_profiles([path])
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_host_map_no_external_and_rendering_limit(tmp_path):
    path = write(tmp_path, "ok.yaml", dict(GOOD, host_map={"WWW.example.gov.cn": "127.0.0.1:8080"}, no_external=True,
                                         limits={"max_rendered_pages": 0}))
    (demo,) = load_profiles([path])
    assert demo.host_map == {"www.example.gov.cn": "127.0.0.1:8080"} and demo.no_external
    assert demo.limits.max_rendered_pages == 0
    assert profile_from_json(demo.to_json()).digest() == demo.digest()  # a resumed crawl maps the same way
    assert profile_from_json(demo.to_json()).host_map == demo.host_map
    (plain,) = with_crawl_options(load_profiles([write(tmp_path, "plain.yaml", GOOD)]), no_external=True,
                                  no_render=True)
    assert plain.no_external and plain.limits.max_rendered_pages == 0
    # one crawl connects a host one way only
    other = write(tmp_path, "other.yaml", dict(GOOD, id="other", host_map={"www.example.gov.cn": "127.0.0.1:9090"}))
    with pytest.raises(ConfigError, match=r"host_map.www.example.gov.cn': maps to '127.0.0.1:9090'"):
        load_profiles([path, other])


def test_broken_yaml_and_duplicate_ids(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("sites: [\n  - id: x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_profiles([bad])
    (tmp_path / "sub").mkdir()
    a = write(tmp_path / "sub", "dup_a.yaml", GOOD)
    b = write(tmp_path, "dup_b.yaml", GOOD)
    with pytest.raises(ConfigError, match="already defined"):
        load_profiles([a, b])


def test_yaml_tags_are_not_executed(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("!!python/object/apply:os.system ['echo pwned']\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_profiles([path])


def test_crawl_reports_malformed_profile_without_traceback(tmp_path):
    path = write(tmp_path, "bad.yaml", dict(GOOD, limits={"delay": "x"}))
    result = subprocess.run([sys.executable, "-m", "zwgk.cli", "crawl", str(path), "--workspace", str(tmp_path / "w")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "limits.delay" in result.stderr and "Traceback" not in result.stderr


def test_sites_import_from_xlsx_and_gbk_csv(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "首页网址", "网站名称", "主办单位", "网站标识码"])
    ws.append([1, "www.example.gov.cn", "示例市人民政府", "示例市人民政府办公室", "4499000001"])
    ws.append([2, "https://fgw.example.gov.cn/", "示例市发展和改革委员会", "示例市发展和改革委员会", "4499000012"])
    xlsx = tmp_path / "网站清单.xlsx"
    wb.save(xlsx)
    out = tmp_path / "sites.yaml"
    result = subprocess.run([sys.executable, "-m", "zwgk.cli", "sites", "import", str(xlsx), "-o", str(out)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    profiles = load_profiles([out])
    assert [p.name for p in profiles] == ["示例市人民政府", "示例市发展和改革委员会"]
    assert profiles[0].homepage == "http://www.example.gov.cn"
    assert profiles[1].allowed_domains == ("fgw.example.gov.cn",)

    csv_path = tmp_path / "list.csv"
    csv_path.write_bytes("网站名称,主办单位,网站标识码\n示例,示例办,1\n".encode("gb18030"))
    result = subprocess.run([sys.executable, "-m", "zwgk.cli", "sites", "import", str(csv_path), "-o",
                             str(tmp_path / "x.yaml")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "首页网址" in result.stderr  # the missing column is named


def test_attachment_reading_limits_come_from_the_profile(tmp_path):
    from crawler.spiders.site import attachment_limits

    (demo,) = load_profiles([write(tmp_path, "ok.yaml", dict(GOOD, limits={"attachment_max_rows": 100,
                                                                            "attachment_max_mb": 2}))])
    got = attachment_limits(demo.limits)
    assert (got.max_rows, got.max_bytes, got.max_pages, got.max_seconds) == (100, 2 * 1024 * 1024, 200, 20.0)
    assert profile_from_json(demo.to_json()).limits.attachment_max_rows == 100   # a resumed crawl reads the same
