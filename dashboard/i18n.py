"""One message catalogue for the screens: Chinese first, English on request.

The language is a browser choice kept in a cookie (``/lang/<code>`` sets it and returns
to the page), so the layout functions and every callback of a request agree on it without
a language input that each callback would have to carry. Data values (region, category
and department names) stay as the store holds them.
"""

from __future__ import annotations

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
COOKIE = "gridcmd_lang"

MESSAGES: dict[str, tuple[str, str]] = {
    # shell
    "nav.overview": ("指挥总览", "Overview"),
    "nav.cases": ("事件分析", "Cases"),
    "nav.hazards": ("隐患排查", "Hazards"),
    "nav.persons": ("重点人群", "Key persons"),
    "nav.timeliness": ("处置时效", "Timeliness"),
    "nav.satisfaction": ("群众满意度", "Satisfaction"),
    "nav.linkage": ("四级联动", "Linkage"),
    "nav.iot": ("物联预警", "IoT alerts"),
    "nav.quality": ("数据质量", "Quality"),
    "nav.reports": ("通报", "Reports"),
    "shell.tag": ("基层社会治理 · 网格化服务管理", "Grid-based community governance"),
    "shell.area": ("切换网格", "Switch area"),
    "shell.lang": ("English", "中文"),
    "shell.logout": ("退出", "Log out"),
    # filter bar (analysis pages)
    "filter.period": ("时间", "Period"),
    "filter.period.today": ("今天", "Today"),
    "filter.period.7d": ("近7天", "Last 7 days"),
    "filter.period.30d": ("近30天", "Last 30 days"),
    "filter.period.month": ("本月", "This month"),
    "filter.period.last_month": ("上月", "Last month"),
    "filter.period.year": ("今年", "This year"),
    "filter.period.custom": ("自定义", "Custom"),
    "filter.region": ("区域（可搜索，至网格）", "Region (search, down to grids)"),
    "filter.category": ("类别（大类/小类）", "Category"),
    "filter.source": ("来源", "Source"),
    "filter.status": ("状态", "Status"),
    "filter.reset": ("清除筛选", "Clear filters"),
    "filter.unused": ("本页不使用此条件（保留给其他页面）",
                      "Not used on this page (kept for the others)"),
    "filter.htype": ("隐患类型", "Hazard type"),
    "filter.risk": ("风险等级", "Risk level"),
    "filter.pcat": ("人群类别", "Population group"),
    "filter.stype": ("设备类型", "Sensor type"),
    "filter.grids": ("已选 {n} 个网格", "{n} grids picked"),
    "filter.toomany": ("框选了 {n} 个网格，最多 {max} 个：请缩小范围或先下钻",
                       "{n} grids selected, at most {max}: draw a smaller shape or drill down"),
    "analysis.help": ("指标说明", "Definitions"),
    "analysis.kpi_scope": ("指标卡：{region} · {span}", "KPIs: {region} · {span}"),
    "analysis.kpi_narrowed": ("（按区域与时段统计，未含其他筛选条件）",
                              " (region and period only, other filters not applied)"),
    "filter.grid": ("网格", "Grid"),
    "filter.bad": ("链接中的筛选条件无效：{error}", "Invalid filter in the link: {error}"),
    "filter.denied": ("无权查看该区域", "That region is outside your jurisdiction"),
    # cases page
    "cases.total": ("符合条件的事件 {n} 件", "{n} matching cases"),
    "cases.trend": ("每日上报", "Reported per day"),
    "cases.major": ("按大类（点击筛选）", "By category (click to filter)"),
    "cases.source": ("按来源", "By source"),
    "cases.status": ("按状态", "By status"),
    "cases.map": ("区域分布（点击下钻）", "By area (click to drill)"),
    "cases.export": ("导出", "Export"),
    "cases.repeat": ("重复投诉点位", "Repeated complaints"),
    "cases.detail.pick": ("点击表格中的一行查看案件详情", "Click a row to open the case"),
    "cases.detail.none": ("案件不存在或不在辖区内", "No such case in your jurisdiction"),
    "cases.col.case_no": ("案件编号", "Case"),
    "cases.col.reported_at": ("上报时间", "Reported"),
    "cases.col.category": ("小类", "Category"),
    "cases.col.source": ("来源", "Source"),
    "cases.col.status": ("状态", "Status"),
    "cases.col.village": ("村(社区)", "Village"),
    "cases.col.deadline_at": ("处置时限", "Deadline"),
    "cases.col.closed_at": ("结案时间", "Closed"),
    "cases.col.handle_hours": ("处置用时(小时)", "Handling (h)"),
    # data quality page
    "quality.total": ("{region} · {span} · 记录 {n} 条", "{region} · {span} · {n} records"),
    "quality.map": ("占位坐标占比（点击下钻）", "Share at placeholder points (click to drill)"),
    "quality.regions": ("分区域数据质量", "Data quality by region"),
    "quality.issues": ("问题记录·按区域（最多的12个）", "Flagged records by region (top 12)"),
    "quality.points": ("占位坐标点", "Placeholder points"),
    "quality.imports": ("导入记录（最近50个文件）", "Imports (latest 50 files)"),
    "quality.rules": ("隔离·按规则（最近50个文件）", "Quarantined by rule (latest 50 files)"),
    "quality.citywide": ("导入记录为全市运行数据，仅对管理员和市级用户显示",
                         "The import log is city-wide operational data: admins and "
                         "city-level users only"),
    "quality.no_imports": ("暂无导入记录", "No imports yet"),
    "quality.no_points": ("未发现占位坐标", "No placeholder points found"),
    "quality.no_rules": ("没有隔离的行", "Nothing quarantined"),
    "quality.no_regions": ("期内无记录", "No records in the period"),
    "quality.share": ("占比", "share"),
    "quality.note": ("本页统计期内的记录（事件按上报时间、隐患按发现时间、重点人员按登记时间），"
                     "按会话辖区与所选区域；导入记录不分时段。网格筛选不适用于本页。",
                     "Records of the period (incidents by report time, hazards by time "
                     "found, key persons by registration) in your jurisdiction and the "
                     "chosen region; the import log is not limited to the period. Grid "
                     "picks do not apply to this page."),
    "quality.col.region": ("区域", "Region"),
    "quality.col.file": ("文件", "File"),
    "quality.col.kind": ("类型", "Kind"),
    "quality.col.imported": ("导入时间", "Imported"),
    "quality.col.rows_in": ("读入", "Rows in"),
    "quality.col.loaded": ("入库", "Loaded"),
    "quality.col.point": ("坐标 (WGS-84)", "Point (WGS-84)"),
    "quality.col.reason": ("依据", "Found by"),
    "quality.col.rows": ("条数", "Rows"),
    "quality.reason.share": ("占比超阈值", "share of rows"),
    "quality.reason.mapping": ("映射声明", "mapping"),
    "quality.reason.known": ("已知占位点", "known point"),
    # overview: map
    "map.title": ("{name} · 综合态势", "{name} · situation"),
    "map.period": ("{period} {start} 至 {end} · 存量截至{stock}",
                   "{period} {start} – {end} · stocks as of {stock}"),
    "map.capped": (" · 仅绘制前 {shown:,} 个（共 {total:,} 个）",
                   " · first {shown:,} of {total:,} drawn"),
    "map.unit": ("（{unit}）", " ({unit})"),
    "map.home": ("返回上级", "Up"),
    "map.no_data": ("无数据", "no data"),
    "map.same": ("全部相同", "all equal"),
    "ind.incidents": ("事件量", "Cases"),
    "ind.overdue": ("超期未结", "Overdue"),
    "ind.handle": ("处置时长", "Handling time"),
    "ind.satisfaction": ("满意率", "Satisfaction"),
    "ind.area_satisfaction": ("群众满意度(测评)", "Surveyed satisfaction"),
    "ind.hazards": ("未整改隐患", "Open hazards"),
    "ind.key_persons": ("重点人群密度", "Key persons"),
    "unit.incidents": ("件", ""),
    "unit.overdue": ("件", ""),
    "unit.handle": ("小时", "h"),
    "unit.satisfaction": ("%", "%"),
    "unit.area_satisfaction": ("%", "%"),
    "unit.hazards": ("处", ""),
    "unit.key_persons": ("人/万人", "per 10k"),
    "level.city": ("市", "City"),
    "level.county": ("区县", "County"),
    "level.town": ("乡镇(街道)", "Town"),
    "level.village": ("村(社区)", "Village"),
    "level.grid": ("网格", "Grid"),
    # overview: cards
    "panel.kpis": ("核心指标 · {period}", "Key indicators · {period}"),
    "card.today": ("今日上报", "Reported today"),
    "card.reported": ("本月上报", "Reported this month"),
    "card.close_rate": ("结案率", "Closure rate"),
    "card.ontime_rate": ("按期结案率", "On-time closure"),
    "card.satisfaction_rate": ("满意率", "Satisfaction"),
    "card.avg_handle_hours": ("平均处置时长", "Mean handling time"),
    "card.open_hazards": ("未整改隐患", "Open hazards"),
    "card.key_persons": ("重点人群", "Key persons"),
    "companion.median_response_hours": ("中位 {value}", "median {value}"),
    "companion.median_handle_hours": ("中位 {value}", "median {value}"),
    "companion.median_close_hours": ("中位 {value}", "median {value}"),
    "companion.deadline_share": ("有时限案件 {value}", "{value} with a time limit"),
    "card.mom": ("环比", "MoM"),
    "card.yoy": ("同比", "YoY"),
    "card.no_base": ("无基期", "no base"),
    "card.light.green": ("达标", "OK"),
    "card.light.yellow": ("预警", "watch"),
    "card.light.red": ("未达标", "off"),
    # overview: trends
    "panel.trends": ("近12个月趋势", "Last 12 months"),
    "trend.reported": ("事件量（件）", "Cases"),
    "trend.avg_handle_hours": ("平均处置时长（小时）", "Mean handling time (h)"),
    "trend.satisfaction_rate": ("满意率（%）", "Satisfaction (%)"),
    # overview: alerts
    "panel.alerts": ("预警提醒", "Alerts"),
    "alert.overdue": ("超期", "Overdue"),
    "alert.due_soon": ("临期", "Due soon"),
    "alert.at_risk": ("超期风险", "At risk"),
    "alert.surge": ("异常预警", "Surge"),
    "alert.surge_note": (
        "异常预警（指标说明）：该区域该大类近1–3日的案件数显著高于它自己的基线（近8周水平，"
        "按星期几和月份调整）。负二项检验，数千个区域×大类同时检验时用 Benjamini–Hochberg "
        "方法分组控制误报（区县级每个区县一组，街镇、村社区全市同级一组；q ≤ 设置值，默认 "
        "0.2），且至少 3 件、至少为预期的 "
        "1.5 倍。每次导入或接入案件后重新计算并保存，屏幕只读取结果。",
        "Surge (definition): this region's cases of this 大类 in the last 1–3 days are far "
        "above its own baseline (its level over 8 weeks, adjusted for weekday and month). "
        "Negative-binomial test; across thousands of region × 大类 cells false discoveries "
        "are held by Benjamini–Hochberg within each family (each county's county cells; the "
        "city's town cells; its village cells) at q ≤ the setting (default 0.2), with at "
        "least 3 cases "
        "and 1.5 times the expected count. Recomputed and stored after every import or "
        "intake of cases; the screen reads the stored result."),
    "alert.major_hazard": ("重大隐患", "Major hazards"),
    "alert.iot": ("物联告警", "IoT alarms"),
    "alert.none": ("当前无预警", "No alerts"),
    "alert.deadline": ("时限", "due"),
    "alert.new_critical": ("新的紧急预警：{title} · {place}",
                           "New critical alert: {title} · {place}"),
    # overview: the at-risk queue (即将超期风险, issue 19), a second pane of the alerts card
    "risk.tab_alerts": ("预警", "Alerts"),
    "risk.tab": ("超期风险 {n}", "At risk {n}"),
    "risk.head": ("风险案件数 {n} 件 / 在办有时限 {scored} 件 · 概率 ≥ {p} · 评分于 {at}",
                  "{n} at risk / {scored} open with a time limit · probability ≥ {p} · "
                  "scored {at}"),
    "risk.none": ("暂无评分结果（运行 gridcmd foresight 或导入数据后生成）",
                  "No scores yet (run gridcmd foresight or import data)"),
    "risk.nothing": ("无达到阈值的案件；以下为概率最高的 {n} 件（低于阈值）",
                     "No case reaches the threshold; the {n} most likely (below it)"),
    "risk.past": ("回看历史时不显示：风险评分针对当前在办案件",
                  "Not shown for a past day: the scores are of the cases open now"),
    "risk.note": (
        "即将超期风险（指标说明）：概率 = 按历史同类案件推算、此案最终晚于办理时限结案的可能性"
        "（给出 30% 的案件，历史上约 30% 超期）。按类别、处置层级、所在环节、已用时限、星期与"
        "时段、部门当前积压推算；每次导入或接入数据后重新评分并保存，屏幕只读取结果。",
        "At risk (definition): the probability that this open case is closed after its time "
        "limit, estimated from past cases like it (of cases given 30 %, about 30 % were "
        "late): category, handling tier, stage, share of the limit used, weekday and hour, "
        "the department's current backlog. Rescored and stored after every import or intake; "
        "the screen reads the stored result."),
    # overview: feed and league
    "panel.feed": ("实时事件", "Latest cases"),
    "feed.none": ("近7天无新事件", "No cases in the last 7 days"),
    "panel.league": ("{level}综合评价排名", "{level} league"),
    "league.note": ("{period} · 综合得分（收缩后）", "{period} · shrunk composite"),
    "league.unranked": ("样本不足", "too few"),
    "league.more": ("另有{n}个未列出", "{n} more not shown"),
    # overview: status
    "status.asof": ("最新数据：{time}", "Newest record: {time}"),
    "status.stale": ("数据已{age}未更新，请检查数据接入", "No new data for {age}: check the feeds"),
    "status.empty": ("暂无数据", "No data yet"),
    # overview: as-of moment and period (dashboard/periods.py)
    "status.asof_data": ("数据截至 {day}（历史数据，非实时）",
                         "Data as of {day} (historical, not live)"),
    "status.asof_chosen": ("查看 {day} 时点数据（非实时）", "Viewing {day} (not live)"),
    "asof.label": ("截至", "As of"),
    "asof.live": ("实时", "live"),
    "asof.today": ("今日", "today"),
    "asof.clear": ("回到默认", "Back to default"),
    "period.7d": ("近7天", "Last 7 days"),
    "period.30d": ("近30天", "Last 30 days"),
    "period.90d": ("近90天", "Last 90 days"),
    "period.month": ("本月", "This month"),
    "period.quarter": ("本季度", "This quarter"),
    "period.year": ("本年", "This year"),
    "card.reported.7d": ("近7天上报", "Reported, 7 days"),
    "card.reported.30d": ("近30天上报", "Reported, 30 days"),
    "card.reported.90d": ("近90天上报", "Reported, 90 days"),
    "card.reported.month": ("本月上报", "Reported this month"),
    "card.reported.quarter": ("本季度上报", "Reported this quarter"),
    "card.reported.year": ("本年上报", "Reported this year"),
    "card.today_on": ("{day}上报", "Reported {day}"),
    "panel.feed_asof": ("最新事件 · 截至{day}", "Latest cases · to {day}"),
    "feed.none_asof": ("截至{day}的7天内无事件", "No cases in the 7 days to {day}"),
    "kiosk.on": ("轮播中 · 每{n}秒", "Rotating every {n} s"),
    # time playback of the overview (dashboard/playback.py)
    "playback.play": ("▶ 回放", "▶ Replay"),
    "playback.pause": ("❚❚ 暂停", "❚❚ Pause"),
    "playback.close": ("退出回放", "Exit replay"),
    "playback.title": ("态势回放", "Replay"),
    "playback.window": ("地图：截至当日近{n}日", "Map: {n} days to the day"),
    "playback.stock": ("地图：当日日终存量", "Map: stock at the end of the day"),
    "playback.loading": ("正在准备回放…", "Preparing the replay…"),
    "playback.card.reported": ("当日上报", "Reported"),
    "playback.card.closed": ("当日结案", "Closed"),
    "playback.card.overdue": ("超期未结", "Overdue"),
    "playback.card.open_hazards": ("未整改隐患", "Open hazards"),
    "playback.step.day": ("按日", "By day"),
    "playback.step.hour": ("按时（近72小时）", "By hour (72 h)"),
    "playback.hours": ("地图：截至该小时近{n}小时上报",
                       "Map: reports of the {n} hours to the hour"),
    "playback.hour.reported": ("该小时上报", "Reported"),
    "playback.hour.closed": ("该小时结案", "Closed"),
    "theme.incidents": ("事件态势", "Cases"),
    "theme.hazards": ("隐患排查", "Hazards"),
    "theme.key_persons": ("重点人群", "Key populations"),
    "theme.response": ("处置时效", "Response"),
    "theme.satisfaction": ("群众满意", "Satisfaction"),
    "time.minutes": ("{n}分钟", "{n} min"),
    "time.hours": ("{n}小时", "{n} h"),
    "time.days": ("{n}天", "{n} days"),
}


def normalize(lang: str | None) -> str:
    """A supported language code; anything else falls back to Chinese."""
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str = DEFAULT_LANG, **values) -> str:
    """The message ``key`` in ``lang``, formatted with ``values``.

    Raises ``KeyError`` for an unknown key: a missing translation is a bug to find in
    tests, not a blank on the wall.
    """
    zh, en = MESSAGES[key]
    text = en if normalize(lang) == "en" else zh
    return text.format(**values) if values else text


def current_lang() -> str:
    """The language of the current request (cookie), Chinese outside a request."""
    from flask import has_request_context, request

    if not has_request_context():
        return DEFAULT_LANG
    return normalize(request.cookies.get(COOKIE))
