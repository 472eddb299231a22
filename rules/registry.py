"""The one table of every rule: code, name, severity, indicator, scope, basis, advice and its check.

Codes are never reused: a retired rule keeps its code in RETIRED. Reports read basis, advice and
fix_days through `get_rule(code)`; the scorer reads indicator and severity from the findings.
"""

from __future__ import annotations

import hashlib
import inspect
import re
from dataclasses import dataclass
from typing import Callable

from rules import availability as avail
from rules import catalog_rules as cat
from rules import deadlines as due
from rules import identity as ident
from rules import integrity as sec
from rules import interaction as inter
from rules import search as srch
from rules import services as serv
from rules import freshness as stale
from rules import links as link
from rules import media
from rules import metadata as meta
from rules import interpretation as interp
from rules import privacy as priv
from rules import redating as dating
from rules.thresholds import load_thresholds

FAMILIES = {
    "META": "信息公开要素",
    "MEDIA": "多媒体与附件",
    "STALE": "更新与空白栏目",
    "CAT": "公开目录",
    "LINK": "链接可用性",
    "PRIV": "个人信息保护",
    "INTERP": "政策解读",
    "DATE": "发稿日期与重复发布",
    "DUE": "年度报告与法定时限",
    "AVAIL": "站点可用性",
    "IDENT": "网站标识",
    "INTER": "互动交流",
    "SERV": "办事服务",
    "SEC": "安全防护",
    "SRCH": "站内搜索",
}
SEVERITIES = ("veto", "deduct", "warn")
SCOPES = ("page", "column", "site")
DOC_HEADINGS = ("What it checks:", "Why:", "Basis:", "Not flagged:")


@dataclass(frozen=True)
class Rule:
    code: str
    name: str            # kebab-case, states the problem
    title: str           # 问题类型 as an issue list names it
    severity: str        # veto | deduct | warn
    indicator: str       # key of the scoring profile (see notes/common.md)
    scope: str           # page | column | site: what a finding points at
    basis: str           # document + clause
    advice: str          # 整改建议
    fix_days: int        # 整改时限 (days)
    check: Callable
    per_page: bool = False   # True: check(page, snapshot, ctx) for each fetched page; else check(snapshot, ctx)
    prepare: Callable | None = None   # prepare(snapshot, ctx) before a page rule's pass; raises NotAssessed
    merge_by_url: bool = False   # one finding per target URL per site (a template link broken on every page)

    @property
    def family(self) -> str:
        return re.match(r"[A-Z]+", self.code).group(0)

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.check) or ""


def _page(code, name, title, severity, indicator, basis, advice, fix_days, check, scope="page", prepare=None):
    # link and media findings are about a target URL: the same dead target on many pages is one problem
    merge = code.startswith(("LINK", "MEDIA")) or code in ("SEC001", "SEC005")
    return Rule(code, name, title, severity, indicator, scope, basis, advice, fix_days, check, per_page=True,
                prepare=prepare, merge_by_url=merge)


def _site(code, name, title, severity, indicator, scope, basis, advice, fix_days, check):
    return Rule(code, name, title, severity, indicator, scope, basis, advice, fix_days, check, per_page=False)


_ELEMENTS = "发布解读.信息公开要素"
_MULTIMEDIA = "发布解读.多媒体解读"
_LINKS = "功能设计.链接可用性"
_COLUMNS = "发布解读.栏目更新"
_CATALOG = "发布解读.目录完整性"
# 依据: national norms that bind every office, with the clause. No internal document and no one city's work plan
# is cited here (those are local practice); a scoring profile may add a province's or city's own documents.
_FIELDS = ("《国务院办公厅关于加强行政规范性文件制定和监督管理工作的通知》（国办发〔2018〕37号）（规范性文件统一登记、"
           "统一编号、统一印发并及时公开）；《政府网站发展指引》（国办发〔2017〕47号）“信息发布”：文件资料应规范发布、"
           "准确分类。要素项目为通行做法，全国未统一规定必备要素清单")
_GBT9704 = "GB/T 9704-2012《党政机关公文格式》7.2.5 发文字号（年份标全称，用六角括号〔〕括入；序号不编虚位、不加“第”字）"
_REPEAL = "《政府网站发展指引》（国办发〔2017〕47号）“信息发布”：文件修改、废止、失效的，应在原文件页面作出明确标注"
_INDEX = "《政府信息公开目录系统实施指引（试行）》（国办秘函〔2009〕6号）：索引号唯一标识一条政府信息"
_MEDIA_BASIS = "国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》扣分指标“解读回应”（图解、音视频等多媒体解读应能正常打开）"
_LINK_BASIS = "国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》扣分指标“链接可用性”（含图片、附件、外部链接）"
_VETO_BASIS = "国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》单项否决"
_DOUBT = "（超时、服务器错误为疑似，待复核，不扣分）"
_CENSUS = "《国务院办公厅关于开展第一次全国政府网站普查的通知》（国办发〔2015〕15号）评分表"
_CAT_BASIS = ("《政府信息公开条例》第十九条、第二十条（主动公开的内容）；国办公开办函〔2019〕61号"
              "（政府信息公开专栏的设置与公开路径）")
_PRIVACY = "功能设计.个人信息保护"
_PRIV_BASIS = ("《中华人民共和国政府信息公开条例》第十五条（涉及个人隐私的政府信息不得公开）；"
               "《中华人民共和国个人信息保护法》第二十八条（身份证件号码、金融账户等敏感个人信息）；"
               "国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》")
_INTERP = "发布解读.政策解读"
_INTERP_BASIS = ("《国务院办公厅印发〈关于全面推进政务公开工作的意见〉实施细则的通知》（国办发〔2016〕80号）政策解读；"
                 "国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》政策解读")
_IDENT = "功能设计.网站标识"
_SEVERE = "否决.严重错误"     # SEC findings are warnings for review: listed under 严重错误, never a veto by themselves
_GUIDE_SECURITY = "《政府网站发展指引》（国办发〔2017〕47号）安全防护"
_GUIDE_IDENT = "《政府网站发展指引》（国办发〔2017〕47号）网站标识（首页底部功能区列明网站标识码、ICP备案编号、公安机关备案标识、主办单位和联系方式）"
_GUIDE_TAGS = "《政府网站发展指引》（国办发〔2017〕47号）附件 政府网站网页设计规范（网页标签 SiteIDCode）"

RULES: tuple[Rule, ...] = (
    # ---- META: 信息公开要素 -------------------------------------------------------------------
    _page("META001", "missing-required-field", "信息公开要素缺失", "deduct", _ELEMENTS, _FIELDS,
          "在信息公开要素区补齐缺少的要素（规范性文件：标题、文号、发布机构、索引号、主题分类、成文日期、发布日期、有效性）。",
          10, meta.check_missing_required_field),
    _page("META002", "placeholder-field-value", "信息公开要素为空", "deduct", _ELEMENTS,
          _FIELDS + "（以“-”或空值占位视同缺失）",
          "按原文填写该要素的实际内容；文件确无文号的，文号一栏应明确填写“无”。", 10,
          meta.check_placeholder_field_value),
    _page("META003", "malformed-document-number", "文号格式不规范", "deduct", _ELEMENTS, _GBT9704,
          "按“发文机关代字〔年份〕序号”格式更正文号：年份用六角括号〔〕括入并标全称，序号不加“第”字、不编虚位，后加“号”字。",
          10, meta.check_malformed_document_number),
    _page("META004", "document-number-spacing", "文号含多余空格", "warn", _ELEMENTS, _GBT9704,
          "删除文号中的空格。", 15, meta.check_document_number_spacing),
    _page("META005", "written-after-published", "成文日期晚于发布日期", "deduct", _ELEMENTS,
          "《政府信息公开条例》第二十六条（信息自形成之日起公开，成文日期不应晚于发布日期）",
          "核对原文，更正成文日期或发布日期。", 10, meta.check_written_after_published),
    _page("META006", "published-in-future", "发布日期晚于检查日期", "deduct", _ELEMENTS,
          _VETO_BASIS + "“安全、泄密事故等严重问题”第（5）项（伪造发稿日期）",
          "核对并更正发布日期，不得预填或篡改发稿日期。", 5, meta.check_published_in_future),
    _site("META007", "duplicate-index-number", "索引号重复", "deduct", _ELEMENTS, "page", _INDEX,
          "为重复的信息重新编制唯一的索引号。", 10, meta.check_duplicate_index_number),
    _page("META008", "index-number-year-mismatch", "索引号年份与日期不符", "deduct", _ELEMENTS, _INDEX,
          "核对索引号中的年份与成文日期、发布日期，更正错误的一方。", 10, meta.check_index_number_year_mismatch),
    _page("META009", "invalid-validity-value", "有效性取值不规范", "deduct", _ELEMENTS, _REPEAL,
          "有效性按“有效/失效/废止/已修改/尚未生效”规范填写。", 10, meta.check_invalid_validity_value),
    _page("META010", "still-valid-after-repeal", "已废止文件仍标注有效", "deduct", _ELEMENTS, _REPEAL,
          "在原文件页面将有效性改为“废止”或“失效”，并注明废止、失效日期。", 5, meta.check_still_valid_after_repeal),
    _page("META011", "legacy-document-number-format", "旧文号格式不规范", "warn", _ELEMENTS,
          "GB/T 9704-2012《党政机关公文格式》7.2.5（2012年7月1日起实施，此前的文件参照执行）",
          "维护页面时按现行格式更正文号（年份用六角括号〔〕括入）。", 30, meta.check_legacy_document_number),
    # ---- MEDIA: 图片、音视频、播放器、附件 -------------------------------------------------------------
    _page("MEDIA001", "broken-image", "图片无法打开", "deduct", _MULTIMEDIA, _MEDIA_BASIS,
          "重新上传图片或更正图片地址，确保页面图片（图解）正常显示。", 5, media.check_broken_image),
    _page("MEDIA002", "broken-video-audio", "音视频无法播放", "deduct", _MULTIMEDIA, _MEDIA_BASIS,
          "重新上传音视频文件或更正地址，确保正常播放。", 5, media.check_broken_video_audio),
    _page("MEDIA003", "broken-embedded-player", "嵌入播放器无法打开", "deduct", _MULTIMEDIA, _MEDIA_BASIS,
          "修复或更换嵌入的播放器地址。", 5, media.check_broken_embedded_player),
    _page("MEDIA004", "media-wrong-content-type", "多媒体返回错误页面", "deduct", _MULTIMEDIA,
          _MEDIA_BASIS + "（返回网页错误页而不是文件，视为无法打开）",
          "检查文件是否已被删除或需要登录，恢复文件或更正地址。", 5, media.check_media_wrong_content_type),
    _page("MEDIA005", "empty-media-file", "多媒体文件为空", "deduct", _MULTIMEDIA,
          _MEDIA_BASIS + "（空文件视为无法打开）",
          "重新上传完整的文件。", 5, media.check_empty_media_file),
    _page("MEDIA006", "empty-media-source", "多媒体地址为空", "deduct", _MULTIMEDIA,
          _MEDIA_BASIS + "（地址为空的图片、音视频无法显示、播放）",
          "补充图片或音视频文件地址，或删除空的元素。", 5, media.check_empty_media_source),
    _page("MEDIA007", "unplayable-media-format", "音视频格式无法播放", "deduct", _MULTIMEDIA,
          _MEDIA_BASIS + "（Flash 等浏览器已不支持的格式视为无法播放）",
          "将 Flash（.swf/.flv）音视频转为 MP4 等通用格式，用 HTML5 <video> 播放。", 15,
          media.check_unplayable_media_format),
    _page("MEDIA008", "broken-attachment", "附件无法下载", "deduct", _LINKS,
          _LINK_BASIS,
          "重新上传附件或更正附件地址，确保可以正常下载。", 5, media.check_broken_attachment),
    _page("MEDIA009", "suspected-broken-media", "多媒体疑似无法打开", "warn", _MULTIMEDIA,
          _MEDIA_BASIS + _DOUBT, "复核该资源是否可以正常访问，如确有问题及时修复。", 5,
          media.check_suspected_broken_media),
    # ---- STALE: 首页与栏目更新 -------------------------------------------------------------------
    _site("STALE001", "homepage-not-updated", "首页不更新", "veto", "否决.首页不更新", "site",
          _VETO_BASIS + "“首页不更新”（监测时间点前2周内首页无信息更新）",
          "立即更新首页信息，建立值班读网和信息更新机制。", 3, stale.check_homepage_not_updated),
    _site("STALE002", "homepage-few-updates", "首页更新量不足", "deduct", "发布解读.首页更新量", "site",
          "国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》扣分指标“首页栏目信息更新量”；" + _CENSUS + "（2周内少于10条）",
          "加大首页动态、通知公告等栏目的信息更新频次，保证每2周新增信息不少于10条。", 14,
          stale.check_homepage_few_updates),
    _site("STALE003", "column-not-updated", "栏目不更新", "deduct", _COLUMNS, "column",
          "国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》扣分指标“栏目更新”（动态要闻2周、通知公告/政策文件6个月、人事/规划计划1年）",
          "及时更新栏目信息；确无信息可发布的栏目应整合或关停，信息应标注发布日期。", 7,
          stale.check_column_not_updated),
    _site("STALE004", "blank-column", "空白栏目", "deduct", _COLUMNS, "column",
          _VETO_BASIS + "“栏目不更新”（空白栏目）",
          "为栏目补充内容，或关停、整合该栏目。", 7, stale.check_blank_column),
    _site("STALE005", "empty-catalog-column-without-note", "信息公开目录栏目为空且无说明", "deduct", _COLUMNS,
          "column", _CENSUS + "（信息公开目录子栏目确无信息的须有备注说明）；" + _VETO_BASIS + "“栏目不更新”（空白栏目）",
          "发布应公开的信息；确无此类信息的，在栏目中发布备注说明（如“本栏目暂无信息，原因：…”）。", 7,
          stale.check_empty_catalog_column_without_note),
    _site("STALE006", "veto-stale-news-and-notices", "栏目不更新（动态要闻与通知公告/政策文件）", "veto",
          "否决.栏目不更新", "site", _VETO_BASIS + "“栏目不更新”第（1）项",
          "立即更新所列栏目；确无更新需要的栏目予以整合或关停。", 3, stale.check_veto_stale_news_and_notices),
    _site("STALE007", "veto-stale-columns", "栏目不更新（应更新未更新栏目）", "veto", "否决.栏目不更新", "site",
          _VETO_BASIS + "“栏目不更新”第（2）项",
          "立即更新所列栏目；确无更新需要的栏目予以整合或关停。", 3, stale.check_veto_stale_columns),
    _site("STALE008", "veto-blank-columns", "栏目不更新（空白栏目）", "veto", "否决.栏目不更新", "site",
          _VETO_BASIS + "“栏目不更新”第（3）项",
          "为所列空白栏目补充内容，或关停、整合；信息公开目录子栏目确无信息的须发布备注说明。", 3,
          stale.check_veto_blank_columns),
    _site("STALE009", "stale-columns-early-warning", "栏目不更新预警", "warn", "否决.栏目不更新", "site",
          "预警，不扣分：接近" + _VETO_BASIS + "“栏目不更新”的否决线（第三方检查通行做法）",
          "尽快更新所列栏目，避免触发单项否决。", 7, stale.check_early_warning),
    _site("STALE010", "column-not-assessable", "栏目无法评估", "warn", _COLUMNS, "column",
          "说明事项，不扣分：栏目列表由脚本生成，不视为空白栏目，也无法判断是否更新；《政府网站发展指引》（国办发〔2017〕47号）要求信息便于检索、查阅",
          "人工核查该栏目；栏目列表应能在不执行脚本时显示，便于检索和检查。", 15,
          stale.check_column_not_assessable),
    _site("STALE011", "homepage-update-early-warning", "首页更新预警", "warn", "否决.首页不更新", "site",
          "预警，不扣分：接近" + _VETO_BASIS + "“首页不更新”的否决线（第三方检查通行做法）",
          "尽快更新首页信息，避免触发单项否决。", 3, stale.check_homepage_early_warning),
    # ---- CAT: 公开目录 -------------------------------------------------------------------------
    _site("CAT001", "catalog-item-missing", "公开事项缺失", "deduct", _CATALOG, "site", _CAT_BASIS,
          "按公开路径设置栏目并发布信息；本单位不涉及的，发布“未涉及”说明。", 15, cat.check_catalog_item_missing),
    _site("CAT002", "catalog-item-empty", "公开事项无内容", "deduct", _CATALOG, "column", _CAT_BASIS,
          "在该栏目发布应公开的信息；本单位不涉及的，发布“未涉及”说明或备注说明。", 15, cat.check_catalog_item_empty),
    _site("CAT003", "catalog-item-overdue", "公开事项未按时限更新", "deduct", _CATALOG, "column",
          "《政府信息公开条例》第二十六条（20个工作日内公开）、第四十九条（年度报告于每年1月31日前公布）；" + _CAT_BASIS,
          "按公开时限发布本期信息。", 10, cat.check_catalog_item_overdue),
    _page("CAT004", "catalog-item-published-late", "信息公开不及时", "warn", _CATALOG,
          "《政府信息公开条例》第二十六条（自形成或者变更之日起20个工作日内公开）；公开目录所列公开时限",
          "信息形成后应在公开时限内发布；核对成文日期、发布日期是否填写正确。", 30,
          cat.check_catalog_item_published_late, prepare=cat.catalog_matches),
    # ---- PRIV: 个人信息保护 -----------------------------------------------------------------------
    _page("PRIV001", "unmasked-id-number", "公开身份证号未去标识化", "deduct", _PRIVACY, _PRIV_BASIS,
          "立即删除或遮盖页面中的身份证号（如 35*************123），公示名单只保留必要信息。", 1,
          priv.check_id_number),
    _page("PRIV002", "unmasked-mobile-number", "公开个人手机号码未去标识化", "deduct", _PRIVACY, _PRIV_BASIS,
          "遮盖个人手机号码中间四位（如 139****5678），或删除；单位联系电话不受影响。", 1,
          priv.check_mobile_number),
    _page("PRIV003", "unmasked-bank-card", "公开银行卡号未去标识化", "deduct", _PRIVACY, _PRIV_BASIS,
          "立即删除或遮盖页面中的个人银行卡号、账号。", 1, priv.check_bank_card),
    _page("PRIV004", "attachment-not-assessed", "附件未能读取（个人信息未评估）", "warn", _PRIVACY,
          _PRIV_BASIS, "人工打开该附件核查是否含未去标识化的个人信息；公开文件尽量采用可读取文字的格式。", 15,
          priv.check_attachment_not_assessed),
    # ---- INTERP: 政策解读 -------------------------------------------------------------------------
    _site("INTERP001", "unpaired-interpretation", "解读未关联政策文件", "warn", _INTERP, "page", _INTERP_BASIS,
          "在解读页面注明所解读文件的标题、文号并链接原文件。", 15, interp.check_unpaired_interpretation),
    _site("INTERP002", "not-linked-both-ways", "政策文件与解读未双向关联", "deduct", _INTERP, "page",
          _INTERP_BASIS + "（文件与解读相互关联）",
          "在所列页面增加链接：文件页面链接其解读，解读页面链接原文件。", 7, interp.check_not_linked_both_ways),
    _site("INTERP003", "interpretation-late", "政策解读发布不及时", "deduct", _INTERP, "page",
          _INTERP_BASIS + "（政策性文件与解读材料同步组织、同步审签、同步部署）",
          "解读材料与文件同步审签、同步发布；最迟在文件发布后规定的工作日内发布解读。", 15,
          interp.check_interpretation_late),
    _site("INTERP004", "interpretation-forms-not-diverse", "多元化解读比例不足", "deduct", _INTERP, "site",
          _INTERP_BASIS, "采用图解、音视频、动漫、H5、访谈等形式解读，提高多元化解读比例。", 30,
          interp.check_forms_not_diverse),
    _site("INTERP005", "interpretation-copies-document", "解读照搬文件原文", "deduct", _INTERP, "page",
          _INTERP_BASIS, "重写解读：说明出台背景、目的、主要内容、关键词和新旧变化，不照搬原文。", 15,
          interp.check_interpretation_copies_document),
    _site("INTERP006", "document-without-interpretation", "规范性文件未解读", "warn", _INTERP, "page",
          _INTERP_BASIS + "（政策性文件与解读材料同步组织、同步审签、同步部署）",
          "为该文件补充政策解读（文字、图解等），并与文件双向关联。", 30,
          interp.check_document_without_interpretation),
    # ---- DATE: 旧文新发、重复发布 ----------------------------------------------------------------------
    _page("DATE001", "redated-content", "伪造发稿日期（旧文新发）", "veto", "否决.严重错误",
          _VETO_BASIS + "“严重错误”（伪造发稿日期）",
          "恢复信息的真实发布日期；确需重新发布旧文件的，在页面注明原发布日期和重新发布原因。", 3,
          dating.check_redated_content),
    _site("DATE002", "duplicate-publication", "信息重复发布", "warn", _COLUMNS, "page",
          "国办发〔2017〕47号《政府网站发展指引》（信息内容准确规范）；" + _VETO_BASIS.replace("单项否决", "栏目更新"),
          "删除重复发布的信息，保留一条。", 15, dating.check_duplicate_publication),
    # ---- DUE: 年度报告、网站年度报表 ----------------------------------------------------------------
    _site("DUE001", "annual-report-missing-or-late", "政府信息公开年度报告未按时发布", "deduct", _CATALOG, "site",
          "《中华人民共和国政府信息公开条例》第五十条（部门1月31日前、人民政府3月31日前公布上一年度报告）；"
          "国办公开办函〔2021〕30号",
          "在政府信息公开年报栏目发布上一年度政府信息公开工作年度报告，并按规定时限发布。", 15,
          due.check_annual_report),
    _site("DUE002", "website-annual-statement-missing-or-late", "政府网站工作年度报表未按时发布", "deduct", _CATALOG,
          "site", "《国务院办公厅关于印发政府网站发展指引的通知》（国办发〔2017〕47号）（每年1月31日前发布上一年度报表）",
          "每年1月31日前在网站显著位置发布上一年度政府网站工作年度报表。", 15, due.check_website_annual_statement),
    _site("DUE003", "consultation-without-result", "征求意见结果未反馈", "deduct", "互动交流.调查征集", "page",
          "《重大行政决策程序暂行条例》第十五条；国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》互动交流“调查征集”",
          "征求意见结束后1个月内公开意见收集和采纳情况。", 15, due.check_consultation_without_result),
    # ---- LINK: 链接 ---------------------------------------------------------------------------
    _page("LINK001", "dead-link-on-homepage", "首页链接不可用", "deduct", _LINKS, _LINK_BASIS + "（首页不可用链接）",
          "修复或删除首页上的错误链接。", 3, link.check_dead_link_on_homepage),
    _page("LINK002", "dead-link-on-page", "页面链接不可用", "deduct", _LINKS, _LINK_BASIS + "（其他页面不可用链接）",
          "修复或删除页面上的错误链接。", 7, link.check_dead_link_on_page),
    _page("LINK003", "suspected-dead-link", "链接疑似不可用", "warn", _LINKS, _LINK_BASIS + _DOUBT,
          "复核该链接是否可以正常访问，如确有问题及时修复。", 7, link.check_suspected_dead_link),

    # ---- AVAIL: 站点可用性（zwgk probe 监测） ------------------------------------------------------
    _site("AVAIL001", "site-unreachable", "站点无法访问", "veto", "否决.站点无法访问", "site",
          _VETO_BASIS + "“站点无法访问”（连续监测1周、每天不少于20次，首页超过15秒未打开的比例达5%及以上）",
          "立即排查服务器、网络和域名解析，保障网站稳定访问；建立运行监测和故障应急机制。", 1,
          avail.check_site_unreachable),
    _site("AVAIL002", "homepage-availability", "首页可用性不足", "deduct", "功能设计.首页可用性", "site",
          "国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》扣分指标“首页可用性”（首页打不开次数占比，每1%扣5分）",
          "排查首页访问失败的原因（服务器负载、网络、防护策略），保障首页稳定打开。", 7,
          avail.check_homepage_availability),
    # ---- IDENT: 网站标识 -------------------------------------------------------------------------
    _site("IDENT001", "missing-site-code", "未标注网站标识码", "deduct", _IDENT, "site",
          _GUIDE_IDENT + "；国办秘函〔2019〕19号 功能设计“网站标识”",
          "在首页底部功能区标注政府网站标识码。", 7, ident.check_missing_site_code),
    _site("IDENT002", "site-code-mismatch", "网站标识码不一致", "deduct", _IDENT, "site",
          _GUIDE_IDENT + "；" + _GUIDE_TAGS,
          "核对全国政府网站信息报送系统中登记的网站标识码，更正页脚和网页标签 SiteIDCode 中的标识码。", 7,
          ident.check_site_code_mismatch),
    _site("IDENT003", "missing-site-code-meta", "缺少 SiteIDCode 网页标签", "deduct", _IDENT, "site", _GUIDE_TAGS,
          "在首页（及其他页面）<head> 中添加 <meta name=\"SiteIDCode\" content=\"网站标识码\">。", 15,
          ident.check_missing_site_code_meta),
    _site("IDENT004", "missing-footer-identification", "页脚标识信息不全", "deduct", _IDENT, "site", _GUIDE_IDENT,
          "在首页底部功能区列明主办单位、联系方式、ICP备案编号和公安机关备案标识。", 15,
          ident.check_missing_footer_identification),
    _site("IDENT005", "missing-error-report-entry", "未设置“我为政府网站找错”入口", "deduct", _IDENT, "site",
          "国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》功能设计（“我为政府网站找错”监督举报平台入口）",
          "在首页显著位置添加“我为政府网站找错”监督举报平台入口。", 7, ident.check_missing_error_report_entry),
    # ---- SEC: 安全防护（外链变异、挂马、网页标题；只列待人工复核，不扣分、不否决） ----------------------------
    _page("SEC001", "external-link-redirected-elsewhere", "外部链接跳转到其他域名", "warn", _SEVERE,
          _GUIDE_SECURITY + "（外链审核、定期检查）；" + _VETO_BASIS + "“严重错误”（被攻击篡改）",
          "人工打开该链接核实跳转后的页面；已失效或被他人注册的域名应立即删除或更正链接，并定期检查外部链接。", 3,
          sec.check_external_link_redirected),
    _site("SEC002", "third-party-script-or-iframe", "首页加载第三方脚本或内嵌框架", "warn", _SEVERE, "site",
          _GUIDE_SECURITY + "（防篡改、防挂马）；" + _VETO_BASIS + "“严重错误”（被攻击篡改未及时处置）",
          "核实该脚本或内嵌框架是否为本单位引入的服务；不是的，立即删除并排查网页被篡改的原因；确需引入的，列入允许清单。", 1,
          sec.check_third_party_script),
    _site("SEC003", "homepage-title-not-naming-site", "首页网页标题未体现网站名称", "warn", _SEVERE, "site",
          _GUIDE_SECURITY + "；《政府网站发展指引》（国办发〔2017〕47号）内容保障；" + _VETO_BASIS + "“严重错误”（被攻击篡改）",
          "核实首页网页标题是否被篡改或沿用模板默认值，将 <title> 改为网站名称（如“××县人民政府门户网站”）。", 7,
          sec.check_title_not_naming_site),
    _site("SEC004", "hidden-offsite-links", "首页存在隐藏的站外链接", "warn", _SEVERE, "site",
          _GUIDE_SECURITY + "（防篡改、防暗链）；" + _VETO_BASIS + "“严重错误”（被攻击篡改）",
          "核实隐藏链接的来源：不是本单位设置的，立即删除并排查网页被篡改的原因，修补漏洞；确需保留的链接不应隐藏。", 1,
          sec.check_hidden_offsite_links),
    _page("SEC005", "external-page-bad-content", "外部链接指向违规内容页面", "warn", _SEVERE,
          _GUIDE_SECURITY + "（外链审核、定期检查）；" + _VETO_BASIS + "“严重错误”（被攻击篡改、链接到违法违规内容）",
          "立即核实并删除该外部链接；定期检查外部链接，域名失效的友情链接及时撤下。", 1,
          sec.check_external_page_bad_words, prepare=sec.external_pages_read),
    # ---- INTER: 互动交流 -------------------------------------------------------------------------
    _site("INTER001", "message-unanswered-over-three-months", "留言超过3个月未答复", "veto", "否决.互动回应差", "page",
          _VETO_BASIS + "“互动回应差”（1年内有效政务咨询类留言超过3个月未回复）",
          "立即办理并答复所列留言，建立留言受理、转办、答复和督办机制。", 3, inter.check_unanswered_over_three_months),
    _site("INTER002", "slow-message-replies", "留言答复不及时", "warn", "互动交流.留言答复", "site",
          "《政府网站发展指引》（国办发〔2017〕47号）互动交流（及时答复网民留言）；答复时限按本地规定（3–15个工作日）",
          "按本地规定时限答复留言，对超期留言督办。", 15, inter.check_slow_replies),
    _site("INTER003", "no-consultation-channel", "无咨询建言渠道", "veto", "否决.互动回应差", "site",
          _VETO_BASIS + "“互动回应差”（未提供有效的在线咨询建言渠道）",
          "开设在线咨询建言栏目（领导信箱、网上咨询等），或在首页链接本地统一的互动平台。", 7,
          inter.check_no_consultation_channel),
    _site("INTER004", "few-consultations", "调查征集次数不足", "deduct", "互动交流.调查征集", "column",
          "国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》扣分指标“调查征集”（门户网站每年不少于6期，其他网站不少于3期）",
          "围绕重要政策、重大事项开展网上调查征集，并公开征集结果。", 30, inter.check_few_consultations),
    _site("INTER005", "consultation-channel-broken", "咨询建言渠道无法打开", "veto", "否决.互动回应差", "site",
          _VETO_BASIS + "“互动回应差”（未提供有效的在线咨询建言渠道）",
          "立即修复领导信箱、网上咨询等栏目和表单页面，确保公众能够正常提交咨询建言。", 3,
          inter.check_consultation_channel_broken),
    # ---- SERV: 办事服务 ---------------------------------------------------------------------------
    _site("SERV001", "guide-missing-elements", "办事指南要素缺失", "deduct", "办事服务.办事指南", "page",
          "国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》“服务不实用”（办事指南十项要素）；《政府网站发展指引》（国办发〔2017〕47号）办事服务",
          "按事项名称、设定依据、申请条件、办理材料、办理地点、办理机构、收费标准、办理时间、联系电话、办理流程补全办事指南。", 15,
          serv.check_guide_missing_elements),
    _site("SERV002", "services-not-practical", "服务不实用", "veto", "否决.服务不实用", "site",
          _VETO_BASIS + "“服务不实用”（办事指南要素类别缺失的事项较多）",
          "全面核查办事指南，补齐关键要素，确保办事指南准确、完整、实用。", 7, serv.check_services_not_practical),
    _site("SERV003", "service-stats-not-updated", "办事统计未更新", "deduct", "办事服务.办事统计", "column",
          "国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》办事服务（办事统计数据3个月未更新）",
          "按月或按季度发布办件统计数据。", 15, serv.check_service_stats_not_updated),
    _site("SERV004", "form-downloads-broken", "办事表格无法下载", "deduct", "办事服务.办事指南", "site",
          "国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》办事服务（表格下载）；《政府网站发展指引》（国办发〔2017〕47号）办事服务",
          "重新上传所列申请表、表格等附件或更正下载地址，确保办事群众能够下载。", 7,
          serv.check_form_downloads_broken),
    # ---- SRCH: 站内搜索 -------------------------------------------------------------------------
    _site("SRCH001", "site-search-not-working", "站内搜索不可用", "deduct", "功能设计.站内搜索", "site",
          "国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》功能设计（搜索功能）；《政府网站发展指引》（国办发〔2017〕47号）"
          "“搜索查询”（站内搜索应能按标题、关键词检索本站信息）",
          "排查站内搜索服务和索引更新：确保搜索结果页正常打开，新发布的信息及时进入索引、能按标题检索到。", 15,
          srch.check_site_search_not_working),
)

# Codes that once named a rule and must never name another one.
RETIRED: dict[str, str] = {}

_BY_CODE = {r.code: r for r in RULES}


def get_rule(code: str) -> Rule:
    try:
        return _BY_CODE[code]
    except KeyError:
        raise KeyError(f"unknown rule code {code!r}") from None


def select_rules(codes: str | list[str] | None) -> tuple[Rule, ...]:
    """The rules named by codes or family prefixes (`META,LINK001`); all when None/empty."""
    if not codes:
        return RULES
    if isinstance(codes, str):
        codes = [c for c in re.split(r"[,\s]+", codes) if c]
    chosen: list[Rule] = []
    for code in codes:
        code = code.strip().upper()
        hits = [r for r in RULES if r.code == code] or ([r for r in RULES if r.family == code]
                                                         if code in FAMILIES else [])
        if not hits:
            raise KeyError(f"unknown rule code or family {code!r} (see `zwgk rules`)")
        chosen += [r for r in hits if r not in chosen]
    return tuple(r for r in RULES if r in chosen)


def rules_version(thresholds=None) -> str:
    """A hash of every code, name and severity and of the thresholds in force."""
    t = thresholds or load_thresholds()
    text = "|".join(f"{r.code}:{r.name}:{r.severity}:{r.indicator}" for r in RULES) + "|" + t.digest()
    return hashlib.sha256(text.encode()).hexdigest()[:16]


RULES_VERSION = rules_version()
