"""A finding's identity across rounds: the same problem on another port, host alias or index page is one."""

from __future__ import annotations

from zwgk.core.identity import finding_identity, normalise_url, site_hosts

PROFILE = {"homepage": "http://www.example.gov.cn/", "allowed_domains": ["example.gov.cn", "www.example.gov.cn"],
           "host_map": {"www.example.gov.cn": "127.0.0.1:8080"}}


def test_site_hosts_drop_ports_and_take_host_map_both_ways():
    assert site_hosts(PROFILE) == {"www.example.gov.cn", "example.gov.cn", "127.0.0.1"}
    assert site_hosts('{"homepage": "http://127.0.0.1:41543/", "allowed_domains": ["127.0.0.1:41543"]}') \
        == {"127.0.0.1"}


def test_a_site_page_is_its_path_whatever_the_port_scheme_or_index_name():
    hosts = site_hosts(PROFILE)
    same = ["http://127.0.0.1:41543/xxgk/index.html", "https://www.example.gov.cn/xxgk/",
            "http://127.0.0.1:8080/xxgk/default.htm#top", "http://WWW.EXAMPLE.GOV.CN:80/xxgk/index.shtml"]
    assert {normalise_url(u, hosts) for u in same} == {"/xxgk/"}
    assert normalise_url("http://www.example.gov.cn/list.jsp?page=2", hosts) == "/list.jsp?page=2"
    assert normalise_url("http://www.other.gov.cn:8443/a.html", hosts) == "//www.other.gov.cn/a.html"
    assert normalise_url("", hosts) == ""


def test_identity_is_rule_site_target_field_and_ignores_positions():
    hosts = site_hosts(PROFILE)
    one = dict(code="META002", site_id="s", url="http://127.0.0.1:9/a/b.html", seq=3, column_id="c123",
               evidence={"field": "文号"})
    two = dict(code="META002", site_id="s", url="http://www.example.gov.cn/a/b.html", seq=40, column_id="c999",
               evidence='{"field": "文号", "value": ""}')
    assert finding_identity(one, hosts) == finding_identity(two, hosts) == "META002|s|/a/b.html|文号"
    other_field = dict(one, evidence={"field": "发布机构"})
    assert finding_identity(other_field, hosts) != finding_identity(one, hosts)
    # an element without a URL: its page and its text tell it apart
    img = dict(code="MEDIA006", site_id="s", url="", parent_url="http://127.0.0.1:1/news/1.html",
               evidence={"link_text": "座谈会"})
    assert finding_identity(img, hosts) == "MEDIA006|s|/news/1.html|座谈会"
    column = dict(code="STALE004", site_id="s", column_name="在线访谈", column_id="c1")
    assert finding_identity(column, hosts) == "STALE004|s|栏目:在线访谈|"


def test_a_missing_catalog_item_is_the_item_not_the_page_it_was_looked_for_on():
    hosts = site_hosts(PROFILE)
    evidence = {"item": "法定主动公开内容", "path": "政府网站>政府信息公开>法定主动公开内容", "nearest_column": "信息公开"}
    first = dict(code="CAT001", site_id="s", url="http://127.0.0.1:1/index.html?link=zwgk", evidence=evidence)
    second = dict(code="CAT001", site_id="s", url="http://127.0.0.1:2/xxgk/index.html", evidence=evidence)
    annual = dict(first, evidence={**evidence, "item": "政府信息公开年报", "path": "政府网站>政府信息公开>政府信息公开年报"})
    assert finding_identity(first, hosts) == finding_identity(second, hosts) \
        == "CAT001|s|公开事项|事项:政府网站>政府信息公开>法定主动公开内容"
    assert finding_identity(annual, hosts) != finding_identity(first, hosts)
    late = dict(code="CAT004", site_id="s", url="http://127.0.0.1:1/xxgk/a.html", evidence={"item": "政策文件",
                                                                                         "path": "政府网站>政策文件"})
    assert finding_identity(late, hosts) == "CAT004|s|/xxgk/a.html|事项:政府网站>政策文件"
