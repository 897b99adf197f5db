"""我的网格: the grid worker's phone page as one small server-rendered HTML document.

Not a Dash page on purpose (docs/mygrid.md): Dash's renderer, React and the core
components alone weigh several hundred KB compressed, more than the whole first-view
budget (300 KB at 1.5 Mbps / 300 ms), so this page is plain HTML with one small script and
one stylesheet (``dashboard/mygrid_static/``, cached for a year under a content-hash URL).
Like every layout it is a function of its arguments: the data comes from
:mod:`dashboard.mygrid_data` through :mod:`dashboard.mygrid`.
"""

from __future__ import annotations

from html import escape

from dashboard import formats

LIGHTS = {"red": ("红", "超期"), "yellow": ("黄", "临期"), "green": ("绿", "正常")}


def _e(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def _fig(value, kind: str) -> str:
    if value is None:
        return formats.MISSING
    if kind == "rate":
        return f"{value * 100:.1f}%"
    return f"{value:.1f}" if value != int(value) else f"{int(value)}"


def _hours(hours) -> str:
    if hours is None:
        return "无时限"
    if hours < 0:
        return f"已超期{formats.duration(-hours)}"
    return f"剩余{hours:.0f}小时" if hours < 48 else f"剩余{hours / 24:.1f}天"


def _section(key: str, title: str, total: int, shown: int, items: list[str],
             empty: str, open_: bool) -> str:
    more = f'<p class="mg-more">另有 {total - shown} 项未列出</p>' if total > shown else ""
    body = "".join(items) if items else f'<p class="mg-empty">{_e(empty)}</p>'
    return (f'<details class="mg-sec" id="mg-{key}"{" open" if open_ else ""}>'
            f'<summary><span>{_e(title)}</span><b data-count="{total}">{total}</b></summary>'
            f'<ul class="mg-list">{body}</ul>{more}</details>')


def _visit(v: dict, cleared: bool) -> str:
    late = (f'逾期{v["days_late"]}天' if v["state"] == "overdue" else "今日应访")
    # a cleared worker may open one person's clear name and phone (the audited detail
    # endpoint /api/persons/<id>?clear=1); the list itself is masked for everyone
    show = (f'<button type="button" class="mg-clear" data-person="{v["person_id"]}">'
            '查看</button>') if cleared else ""
    return (f'<li class="mg-item mg-{_e(v["state"])}" data-person="{v["person_id"]}">'
            f'<div class="mg-row"><b class="mg-name">{_e(v["name"])}</b><span class="mg-tag">'
            f'{_e(v["category"])}·{_e(v["risk_level"])}</span>'
            f'<span class="mg-when">{_e(late)}</span>{show}</div>'
            f'<div class="mg-sub">{_e(v["kind"])} · 应访 {_e(v["due_date"])} · '
            f'<span class="mg-phone">{_e(v["phone"])}</span> · {_e(v["grid_name"])}</div></li>')


def _case(c: dict) -> str:
    light = c["light"] or "none"
    word = LIGHTS.get(c["light"], ("–", "无时限"))
    return (f'<li class="mg-item mg-case" data-light="{light}" data-case="{_e(c["case_no"])}">'
            f'<div class="mg-row"><i class="mg-light mg-{light}" title="{word[1]}">'
            f'{word[0]}</i><b>{_e(c["category"])}</b>'
            f'<span class="mg-when">{_e(_hours(c["hours_left"]))}</span></div>'
            f'<div class="mg-sub">{_e(c["case_no"])} · {_e(c["status"])} · '
            f'时限 {_e(c["deadline_at"] or "–")}</div></li>')


def _hazard(h: dict) -> str:
    state = "已超整改期" if h["overdue"] else "今日到期"
    return (f'<li class="mg-item{" mg-overdue" if h["overdue"] else ""}">'
            f'<div class="mg-row"><b>{_e(h["type"])}隐患</b><span class="mg-tag">'
            f'{_e(h["risk_level"])}</span><span class="mg-when">{state}</span></div>'
            f'<div class="mg-sub">{_e(h["hazard_no"])} · 整改期限 {_e(h["deadline_at"])}'
            f'</div></li>')


def _alert(a: dict) -> str:
    return (f'<li class="mg-item{" mg-overdue" if a["level"] == "严重" else ""}">'
            f'<div class="mg-row"><b>{_e(a["type"])}</b><span class="mg-tag">'
            f'{_e(a["level"])}</span><span class="mg-when">{_e(a["alerted_at"])}</span></div>'
            f'<div class="mg-sub">{_e(a["sensor_code"])} · {a["value"]:g}{_e(a["unit"])}'
            f'（阈值 {a["threshold"]:g}）</div></li>')


def _figures(areas: list[dict]) -> str:
    blocks = []
    for area in areas:
        rows = "".join(
            f'<tr data-key="{f["key"]}" data-value="{"" if f["value"] is None else f["value"]}"'
            f' data-village="{"" if f["village"] is None else f["village"]}">'
            f'<th>{_e(f["name"])}</th><td>{_fig(f["value"], f["kind"])}</td>'
            f'<td>{_fig(f["village"], f["kind"])}</td></tr>' for f in area["figures"])
        blocks.append(
            f'<table class="mg-fig" data-area="{_e(area["code"])}"><caption>'
            f'{_e(area["name"])} · 本月</caption><thead><tr><th></th><th>本区域</th>'
            f'<th>社区平均</th></tr></thead><tbody>{rows}</tbody></table>')
    return ('<details class="mg-sec" id="mg-figures" open><summary><span>本月指标</span>'
            '</summary>' + "".join(blocks) +
            '<p class="mg-note">社区平均：计数为社区合计÷网格数，比率为社区整体比率；不排名个人。'
            '</p></details>')


def _form(categories: list[dict], frame, outlines) -> str:
    groups: dict[str, list[str]] = {}
    for c in categories:
        groups.setdefault(c["major"], []).append(
            f'<option value="{_e(c["code"])}">{_e(c["minor"])}</option>')
    options = "".join(f'<optgroup label="{_e(major)}">{"".join(opts)}</optgroup>'
                      for major, opts in groups.items())
    paths = "".join(f'<path d="{o.path}" data-grid="{_e(o.code)}"><title>{_e(o.name)}'
                    f'</title></path>' for o in outlines)
    first = outlines[0]
    return (
        '<details class="mg-sec" id="mg-report" open><summary><span>快速上报</span></summary>'
        '<form id="mg-form">'
        '<label>类别<select name="category" required><option value="">请选择</option>'
        f'{options}</select></label>'
        '<div class="mg-maphead"><span>位置（点地图选点）</span>'
        '<button type="button" id="mg-gps">用GPS定位</button></div>'
        f'<svg id="mg-map" viewBox="-10 -10 {frame.width + 20} {frame.height + 20}" '
        f'data-west="{frame.west!r}" data-north="{frame.north!r}" data-kx="{frame.kx!r}" '
        f'data-ky="{frame.ky!r}" role="img" aria-label="网格范围">{paths}'
        '<circle id="mg-pin" r="14" cx="-100" cy="-100"/></svg>'
        f'<input type="hidden" name="lon" value="{first.lon!r}">'
        f'<input type="hidden" name="lat" value="{first.lat!r}">'
        '<p class="mg-sub" id="mg-where">位置：网格中心</p>'
        f'<label>描述<textarea name="text" maxlength="500" rows="3" required></textarea></label>'
        '<label>照片（可选，≤600KB，JPEG/PNG/WebP）<input type="file" name="photo" '
        'accept="image/jpeg,image/png,image/webp" capture="environment"></label>'
        '<input type="hidden" name="client_id" value="">'
        '<button type="submit" id="mg-send">上报</button>'
        '<p id="mg-status" role="status" aria-live="polite"></p>'
        '</form></details>')


def page(*, worker: str, area_names: list[str], moment, tasks: dict,
         figures: list[dict], categories: list[dict], frame, outlines,
         css_url: str, js_url: str, report_url: str, home_url: str,
         logout_url: str, person_url: str = "", cleared: bool = False,
         sw_url: str = "", shell: bool = False) -> str:
    """The whole page (UTF-8 HTML text); ``moment`` is the datetime the tasks are of;
    ``cleared``: the user holds personal-data clearance (``person_url``: the detail
    endpoint's prefix, ``/api/persons/``); ``sw_url``: the service worker the script
    registers (with the page's own URLs in its query). ``shell``: the offline copy the
    service worker keeps: the form only (``tasks`` and ``figures`` are not read), no task,
    person or figure, and a banner saying so."""
    if shell:
        return _document(worker, area_names, None, "", _SHELL_NOTE
                         + _form(categories, frame, outlines), css_url, js_url, report_url,
                         home_url, logout_url, person_url, sw_url)
    t = tasks["totals"]
    chips = (
        f'<a href="#mg-visits" class="mg-chip{" mg-hot" if t["visits_overdue"] else ""}">'
        f'走访<b>{t["visits"]}</b></a>'
        f'<a href="#mg-cases" class="mg-chip{" mg-hot" if t["cases_red"] else ""}">'
        f'案件<b>{t["cases"]}</b></a>'
        f'<a href="#mg-hazards" class="mg-chip{" mg-hot" if t["hazards_overdue"] else ""}">'
        f'待复查<b>{t["hazards"]}</b></a>'
        f'<a href="#mg-alerts" class="mg-chip{" mg-hot" if t["alerts"] else ""}">'
        f'告警<b>{t["alerts"]}</b></a>')
    lights = (f'<p class="mg-lights">红 <b data-light-count="red">{t["cases_red"]}</b> · '
              f'黄 <b data-light-count="yellow">{t["cases_yellow"]}</b> · '
              f'绿 <b data-light-count="green">{t["cases_green"]}</b></p>')
    sections = (
        _section("visits", f"走访（逾期 {t['visits_overdue']}）", t["visits"],
                 len(tasks["visits"]), [_visit(v, cleared) for v in tasks["visits"]],
                 "今日没有应访或逾期的走访", True)
        + _section("cases", "在办案件", t["cases"], len(tasks["cases"]),
                   [_case(c) for c in tasks["cases"]], "网格内没有在办案件", True)
                   .replace("</summary>", "</summary>" + lights, 1)
        + _section("hazards", "隐患待复查", t["hazards"], len(tasks["hazards"]),
                   [_hazard(h) for h in tasks["hazards"]], "没有待复查的隐患", False)
        + _section("alerts", "物联告警", t["alerts"], len(tasks["alerts"]),
                   [_alert(a) for a in tasks["alerts"]], "没有未处置的告警", False))
    return _document(worker, area_names, moment, chips,
                     sections + _form(categories, frame, outlines) + _figures(figures),
                     css_url, js_url, report_url, home_url, logout_url, person_url, sw_url)


_SHELL_NOTE = ('<section class="mg-sec mg-shell" id="mg-shell"><p>离线副本：任务清单与指标需联网'
               '查看。可先填写上报，恢复网络后自动发送。</p></section>')


def _document(worker, area_names, moment, chips, main, css_url, js_url, report_url,
              home_url, logout_url, person_url, sw_url) -> str:
    when = ('<span class="mg-shell-mark">离线副本</span>' if moment is None else
            f'截至 <time datetime="{moment.isoformat()}">{moment:%Y-%m-%d %H:%M}</time>')
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<title>我的网格</title>'
        f'<link rel="stylesheet" href="{_e(css_url)}">'
        f'<script src="{_e(js_url)}" defer></script></head><body>'
        '<header class="mg-head"><h1>我的网格</h1>'
        f'<p>{_e("、".join(area_names))}</p><p class="mg-sub">{_e(worker)} · {when}</p>'
        '<p id="mg-offline" hidden>离线：上报将在恢复网络后自动发送</p></header>'
        f'<nav class="mg-chips">{chips}</nav><main>{main}</main>'
        f'<footer class="mg-foot"><a href="{_e(home_url)}">完整指挥舱</a>'
        f'<a href="{_e(logout_url)}">退出</a></footer>'
        f'<template id="mg-endpoint">{_e(report_url)}</template>'
        f'<template id="mg-person">{_e(person_url)}</template>'
        f'<template id="mg-sw">{_e(sw_url)}</template></body></html>')
