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
    "filter.date_from": ("开始日期", "Start date"),
    "filter.date_to": ("结束日期", "End date"),
    "filter.bad": ("链接中的筛选条件无效：{error}", "Invalid filter in the link: {error}"),
    # dashboard.filters.FilterError: the English texts are also the 400 bodies' errors
    "filter.error.too_many": ("筛选条件 {name} 最多 {n} 个值",
                              "filter {name}: at most {n} values"),
    "filter.error.unknown": ("筛选条件 {name} 没有这个值：{value}",
                             "filter {name}: unknown value {value}"),
    "filter.error.malformed": ("筛选条件 {name} 的值格式不对：{value}",
                               "filter {name}: malformed value {value}"),
    "filter.error.period": ("时间范围 period 只能是 {choices} 之一",
                            "filter period: expected one of {choices}"),
    "filter.error.dates": ("自定义时间 from/to 应写作 YYYY-MM-DD",
                           "filter from/to: expected dates as YYYY-MM-DD"),
    "filter.error.order": ("自定义时间 from/to：起始日期晚于结束日期",
                           "filter from/to: from is after to"),
    "filter.error.span": ("自定义时间 from/to 最长五年", "filter from/to: at most five years"),
    "filter.error.region": ("区域代码格式不对：{value}", "filter region: malformed code {value}"),
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
    "quality.only_in": ("（仅知属于{name}）", "(only known to be in {name})"),
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
    "alert.surges": ("异常预警", "Surges"),  # the counter tile
    # an alert item's title in English (the Chinese is the stored type || 隐患 / 告警)
    "alert.hazard_title": ("{type}隐患", "{type} hazard"),
    "alert.sensor_title": ("{type}告警", "{type} alarm"),
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
    # the stored at-risk reasons and surge evidence, rendered per language at read time
    # (dashboard/foresight/explain.py; the Chinese is what a run also stores as text)
    "reason.sep": ("；", "; "),
    "reason.hours": ("{n:.0f} 小时", "{n:.0f} h"),
    "reason.days": ("{n:.1f} 天", "{n:.1f} days"),
    "reason.slack": ("距时限还剩 {left}，已用时限 {frac:.0%}",
                     "{left} left to the deadline, {frac:.0%} of the time limit used"),
    "reason.base": ("同类案件在「{stage}」阶段中位还需 {hours}",
                    "similar cases at the '{stage}' stage need a median {hours} more"),
    "reason.desk": ("该条线排在本案之前（派遣更早）尚未处置的有 {ahead} 件，"
                    "按近 {days} 天日均处置 {rate:.1f} 件计约需 {backlog}，本案已派遣 {in_stage}",
                    "not yet handled on the line, dispatched before this case: {ahead}; "
                    "at the {rate:.1f} a day the line handled over the last {days} days, "
                    "about {backlog} of work; this case was dispatched {in_stage} ago"),
    "reason.load": ("该部门所在条线当前积压 {queue} 件（平时约 {usual:.0f} 件），"
                    "此时同类案件用时约为平时的 {factor:.1f} 倍",
                    "open cases on the department's line: {queue} (usually about "
                    "{usual:.0f}); similar cases now take about {factor:.1f} times as long"),
    "reason.queue": ("该部门所在条线当前积压 {queue} 件",
                     "open cases on the department's line: {queue}"),
    "reason.dept_slow": ("该部门同类案件一向偏慢（约为同类的 {factor:.1f} 倍）",
                         "this department is usually slow with such cases (about "
                         "{factor:.1f} times the others)"),
    "reason.dept_fast": ("该部门同类案件一向偏快（约为同类的 {factor:.1f} 倍）",
                         "this department is usually fast with such cases (about "
                         "{factor:.1f} times the others)"),
    "reason.when": ("当前为{when}，用时约 ×{factor:.1f}",
                    "it is {when} now: time taken about ×{factor:.1f}"),
    "reason.stage.registered": ("已立案待派遣", "registered, to dispatch"),
    "reason.stage.dispatched": ("处置中", "in hand"),
    "reason.stage.handled": ("待核查", "to verify"),
    "reason.stage.verified": ("待结案", "to close"),
    "reason.when.work": ("工作日白天", "a weekday daytime"),
    "reason.when.night": ("工作日夜间", "a weekday night"),
    "reason.when.weekend": ("周末", "the weekend"),
    "reason.surge": ("{region} {major} 近{window}日 {observed} 件，基线 {per_day:.1f} 件/日{times}",
                     "{region} {major}: {observed} cases in the last {window} days, baseline "
                     "{per_day:.1f} a day{times}"),
    "reason.surge_times": ("（约 {ratio:.1f} 倍）", " (about {ratio:.1f} times)"),
    "reason.risk_title": ("{minor} 超期概率 {p}%", "{minor}: {p}% likely to miss the deadline"),
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
    # --- the analysis pages (docs/analysis.md, "Languages") -------------------------------
    # shared by every analysis page (layouts/analysis.py)
    "app.title": ("网格指挥舱 GridCommand", "GridCommand · {page}"),
    "analysis.no_data": ("无数据", "No data"),
    "analysis.week_of": ("起一周", " (week)"),
    "analysis.span": ("{start} 至 {end}", "{start} – {end}"),
    "analysis.rows": ("{n} 件", "n {n}"),
    "analysis.colon": ("：", ": "),
    "analysis.none": ("无", "none"),
    "unit.hours_long": ("小时", "hours"),
    "unit.minutes_long": ("分钟", "minutes"),
    "unit.alerts": ("次", ""),
    "unit.cases": ("件", ""),
    # 事件分析 (layouts/cases.py)
    "cases.detail": ("网格档案 / 案件详情", "Grid profile / case"),
    "cases.note.repeat": ("重复投诉点位：同一网格内、同一小类、相距约100米以内（经纬度取至0.001°）"
                          "的事件，"
                          "期内不少于3件。",
                          "Repeated complaints: at least 3 cases of the period of the same "
                          "category in the same grid within about 100 m (coordinates to "
                          "0.001°)."),
    "cases.repeat.col.place": ("地点", "Place"),
    "cases.repeat.col.category": ("小类", "Category"),
    "cases.repeat.col.n": ("件数", "Cases"),
    "cases.repeat.col.open": ("未结", "Open"),
    "cases.repeat.col.last": ("最近", "Latest"),
    "cases.repeat.none": ("期内没有重复投诉点位（同一小类、约100米内、不少于3件）",
                          "No repeated complaints in the period (same category, within "
                          "about 100 m, at least 3 cases)"),
    "case.tier": ("处置层级 {tier}", "Handled at {tier}"),
    "case.limit": ("时限 {hours} 小时", "time limit {hours} h"),
    "case.no_limit": ("无时限", "no time limit"),
    "case.extended": (" + 延期 {hours} 小时", " + {hours} h extension"),
    "case.rework": (" · 返工 {n} 次", " · sent back {n}×"),
    "case.late": ("已超时限结案", "Closed after the time limit"),
    "case.handoffs": ("流转（四级联动）", "Hand-offs (four-tier linkage)"),
    "case.surveys": ("回访评价", "Follow-up ratings"),
    "case.survey": ("回访（{channel}）", "follow-up ({channel})"),
    "case.note_by": ("网格员上报（{by}）", "Grid worker's report ({by})"),
    "case.note": ("网格员上报", "Grid worker's report"),
    "case.photo": ("现场照片", "Photo from the site"),
    "profile.title": ("网格档案 · {name}", "Grid profile · {name}"),
    "profile.worker": ("网格员 {name}", "grid worker {name}"),
    "profile.size": ("常住人口 {population} 人 · {households} 户 · 面积 {area} km²",
                     "{population} residents · {households} households · {area} km²"),
    "profile.last30": ("近30天", "Last 30 days"),
    "profile.grid": ("本网格", "This grid"),
    "profile.within": ("所在{level}", "{level}"),
    "profile.trend": ("近12个月上报：{trend}", "Reported, last 12 months: {trend}"),
    "profile.month": ("{month}月{n}", "{month}: {n}"),
    "profile.groups": ("重点人群：{groups}", "Key persons: {groups}"),
    "profile.kpi.reported": ("上报数", "Reported"),
    "profile.kpi.close_rate": ("结案率", "Closure rate"),
    "profile.kpi.ontime_rate": ("按期结案率", "On-time closure"),
    "profile.kpi.deadline_share": ("有时限案件占比", "With a time limit"),
    "profile.kpi.median_handle_hours": ("中位处置时长", "Median handling time"),
    "profile.kpi.satisfaction_rate": ("满意率", "Satisfaction"),
    "profile.kpi.avg_handle_hours": ("平均处置时长", "Mean handling time"),
    "profile.kpi.overdue": ("超期未结", "Overdue"),
    "profile.kpi.open_hazards": ("未整改隐患", "Open hazards"),
    # 隐患排查 (layouts/thematic.py)
    "hazards.map": ("隐患分布（点按风险等级着色，点击下钻）",
                    "Hazards (points coloured by risk level; click to drill)"),
    "hazards.panel.type": ("按隐患类型（点击筛选）", "By hazard type (click to filter)"),
    "hazards.panel.risk": ("按风险等级（点击筛选）", "By risk level (click to filter)"),
    "hazards.panel.state": ("整改状态", "Rectification state"),
    "hazards.panel.trend": ("每日发现与整改", "Found and rectified per day"),
    "hazards.panel.overdue": ("逾期未整改隐患", "Overdue, not rectified"),
    "hazards.total": ("期内发现隐患 {n} 处", "{n} hazards found in the period"),
    "hazards.series.found": ("发现", "Found"),
    "hazards.series.rectified": ("整改", "Rectified"),
    "hazards.col.no": ("隐患编号", "Hazard"),
    "hazards.col.what": ("类型 · 等级", "Type · risk"),
    "hazards.col.where": ("位置", "Where"),
    "hazards.col.dept": ("责任部门", "Department"),
    "hazards.col.over": ("逾期", "Overdue"),
    "hazards.days_over": ("{n} 天", "{n} d"),
    "hazards.none_overdue": ("没有逾期未整改的隐患", "No hazard is overdue"),
    "hazards.note": ("整改状态：按期整改（整改不晚于期限）、超期整改、整改中（未过期限）、逾期未整"
                     "改（已过期限仍未整改），"
                     "按当前时刻判断；本页统计期内发现的隐患。",
                     "Rectification state: rectified on time (not after the deadline), "
                     "rectified late, in progress (deadline not passed), overdue (deadline "
                     "passed, not rectified), as of now; the page counts the hazards found "
                     "in the period."),
    # 重点人群
    "persons.map": ("每万名居民重点人员数（点击下钻）", "Key persons per 10,000 residents (click to"
                                        " drill)"),
    "persons.panel.category": ("按人群类别（点击筛选）", "By group (click to filter)"),
    "persons.panel.visits": ("走访按期率（按类别）", "Visits on schedule by group"),
    "persons.panel.units": ("分区域人数（前六类）", "Persons by area (first six groups)"),
    "persons.panel.units.note": ("无权限角色：不足 5 人显示“<5”，防推算隐去的显示“*”",
                                 "Without clearance: fewer than 5 shows \"<5\", counts hidden "
                                 "against inference show \"*\""),
    "persons.panel.people": ("人员名单（脱敏）", "Persons (masked)"),
    "persons.total": ("期末在册重点人员 {n} 人 · 期内应走访 {due} 次，逾期未访 {missed} 次",
                      "{n} key persons listed at the period end · {due} visits due in the "
                      "period, {missed} missed"),
    "persons.col.unit": ("区域", "Area"),
    "persons.col.name": ("姓名", "Name"),
    "persons.col.category": ("类别", "Group"),
    "persons.col.risk": ("关注", "Attention"),
    "persons.col.grid": ("网格", "Grid"),
    "persons.col.phone": ("电话", "Phone"),
    "persons.col.missed": ("逾期未访", "Missed visits"),
    "persons.col.last": ("最近走访", "Last visit"),
    "persons.none": ("没有符合条件的人员", "No person matches"),
    "persons.cleared_only": ("人员名单仅对具有个人信息查看权限的角色显示（已脱敏，查看留痕）。",
                             "The list of persons is shown only to roles cleared for personal "
                             "data (masked, every view audited)."),
    "persons.note": ("在册：期末之前登记且未注销。走访覆盖：期内到期的走访中，在到期日当天或之前完"
                     "成的比例"
                     "（同走访率）；逾期未访：到期日已过仍未走访。对无个人信息权限的角色，各级不足 "
                     "5 人的计数"
                     "显示为“<5”，为防止由合计与其他数相减推算而一并隐去的计数显示为“*”，其密度与走"
                     "访数不显示。",
                     "Listed: registered before the period end and not removed. Visits on "
                     "schedule: of the visits due in the period, the share made on or before "
                     "the due day (as the visit rate); missed: past the due day and not made. "
                     "For roles without clearance for personal data a count below 5 shows as "
                     "\"<5\", and a count hidden so that it cannot be worked out from the total "
                     "shows as \"*\"; their density and visits are not shown."),
    # 处置时效
    "timeliness.panel.durations": ("响应、处置、办结时长：平均 · 中位 · P90",
                                   "Response, handling and closure times: mean · median · P90"),
    "timeliness.panel.funnel": ("办理流程漏斗（各环节中位用时，自上一环节起算）",
                                "Funnel: median time per step"),
    "timeliness.panel.lights": ("时限红黄绿灯（当前）", "Time-limit lights (now)"),
    "timeliness.panel.tier": ("处置用时分布·按处置层级（P10–P90）",
                              "Handling time by tier (P10–P90)"),
    "timeliness.panel.major": ("平均处置用时·按大类（点击筛选）",
                               "Handling time by category (click)"),
    "timeliness.panel.department": ("平均处置用时·按部门（结案最多的12个）",
                                    "Handling time by department (top 12)"),
    "timeliness.panel.ontime": ("按期结案率·按周", "On-time closure by week"),
    "timeliness.panel.risk": ("即将超期风险（模型预测 · 当前在办）",
                              "At risk of going overdue (model · open now)"),
    "timeliness.panel.risk.note": ("概率 = 超期可能性", "p = chance of being late"),
    "timeliness.total": ("期内上报案件 {n} 件", "{n} cases reported in the period"),
    "timeliness.col.what": ("时长（口径同指标库）", "Duration (as the KPI registry)"),
    "timeliness.col.n": ("件数", "Cases"),
    "timeliness.col.mean": ("平均", "Mean"),
    "timeliness.col.median": ("中位", "Median"),
    "timeliness.col.p90": ("P90", "P90"),
    "timeliness.median": (" · 中位 {value}", " · median {value}"),
    "timeliness.funnel.hover": ("平均 %{customdata[0]:.1f} 小时 · P90 %{customdata[1]:.1f} 小时",
                                "mean %{customdata[0]:.1f} h · P90 %{customdata[1]:.1f} h"),
    "timeliness.hours_hover": ("%{x:.1f} 小时", "%{x:.1f} h"),
    "timeliness.series.closed": ("结案数", "Closed"),
    "timeliness.series.ontime": ("按期率", "On time"),
    "timeliness.hover.closed": ("结案", "closed"),
    "timeliness.hover.ontime": ("按期", "on time"),
    "timeliness.note": ("本页统计期内上报的案件：各环节到达数与相邻环节之间的用时（小时）；红黄绿灯"
                        "按时限"
                        "（立案起算，含延期）已用比例判断：正常 < 80%，临期 80%–100%，超期 > 100%；"
                        "没有处置时限的案件（来源或类别无时限）单列为“无时限”，不计按期、不计超期。"
                        "时长表与指标库同口径：响应 = 立案 − 上报（已立案），处置 = 处置完成 − 立案"
                        "（已结案），"
                        "办结 = 结案 − 上报（已结案）；中位与P90为精确分位数。指标卡按期内事件统计"
                        "（如期内结案），本页图表按期内上报的案件统计。",
                        "The page counts the cases reported in the period: how many reach each "
                        "step and the hours between steps. The lights go by the share of the "
                        "time limit used (from registration, extensions included): normal "
                        "< 80 %, due soon 80–100 %, overdue > 100 %; cases without a time "
                        "limit (source or category without one) are a group of their own, "
                        "neither on time nor late. The duration table follows the KPI "
                        "registry: response = registered − reported (registered cases), "
                        "handling = handled − registered (closed cases), closure = closed − "
                        "reported (closed cases); medians and P90 are exact quantiles. The "
                        "KPI cards count the period's events (such as closures in the "
                        "period), the charts the cases reported in the period."),
    "duration.response": ("响应时长（上报→立案）", "Response (reported → registered)"),
    "duration.handle": ("处置时长（立案→处置）", "Handling (registered → handled)"),
    "duration.close": ("办结时长（上报→结案）", "Closure (reported → closed)"),
    "risk.count": ("{name} {n} 件", "{name}: {n}"),
    "risk.meta": (" / 在办有时限 {scored} 件 · 概率 ≥ {p} · 评分于 {at} · 模型 {model}",
                  " / {scored} open with a time limit · probability ≥ {p} · scored {at} · "
                  "model {model}"),
    "risk.none_at": ("无达到阈值的案件", "No case reaches the threshold"),
    "risk.col.p": ("概率", "Risk"),
    "risk.col.case": ("案件编号", "Case"),
    "risk.col.what": ("小类", "Category"),
    "risk.col.stage": ("环节", "Stage"),
    "risk.col.deadline": ("时限", "Deadline"),
    "risk.col.left": ("预计还需", "Est. left"),
    "risk.page_note": ("概率 = 按历史同类案件推算、此案最终晚于办理时限结案的可能性：给出 30% 的案"
                       "件，"
                       "历史上约 30% 超期。按类别、处置层级、所在环节、已用时限、星期与时段、部门所"
                       "在条线的"
                       "当前积压推算，已用最近一段时间单独校准。列出概率不低于阈值的未超期在办案件"
                       "，"
                       "每次导入或接入一批数据后重新评分（不在本页计算）；只按辖区与区域筛选。",
                       "Probability = how likely this case is to be closed after its time "
                       "limit, estimated from past cases like it: of cases given 30 %, about "
                       "30 % were late. Estimated from the category, handling tier, stage, "
                       "share of the limit used, weekday and hour, and the current backlog of "
                       "the department's line of work, calibrated on a recent period of its "
                       "own. Lists the open cases not yet overdue at or above the threshold, "
                       "rescored after every import or intake batch (not computed on this "
                       "page); filtered by jurisdiction and region only."),
    # 群众满意度
    "satisfaction.map": ("满意率·按区域（点击下钻）", "Satisfaction by area (click to drill)"),
    "satisfaction.panel.trend": ("回访满意率、参评率与群众满意度(测评)·近12个月",
                                 "Follow-up satisfaction, rating rate and surveyed "
                                 "satisfaction, last 12 months"),
    "satisfaction.panel.major": ("满意率·前8大类（点击筛选）",
                                 "Satisfaction, top 8 categories (click)"),
    "satisfaction.panel.department": ("满意率·按部门（回访最多的12个）",
                                      "Satisfaction by department (top 12)"),
    "satisfaction.panel.band": ("满意率与处置用时", "Satisfaction by handling time"),
    "satisfaction.panel.rating": ("评价分布", "Ratings"),
    "satisfaction.panel.area_unit": ("群众满意度(测评)·按区域", "Surveyed satisfaction by area"),
    "satisfaction.panel.area_unit.note": ("答卷最多的15个", "top 15"),
    "satisfaction.panel.area_group": ("群众满意度(测评)·按测评对象",
                                      "Surveyed satisfaction by group"),
    "satisfaction.total": ("期内回访 {surveys} 次 · 参评 {rated} 次 · 满意 {satisfied} 次 · "
                           "测评答卷 {answers} 份",
                           "{surveys} follow-ups in the period · {rated} rated · {satisfied} "
                           "satisfied · {answers} survey answers"),
    "satisfaction.series.rate": ("满意率", "Satisfaction"),
    "satisfaction.series.rated": ("参评率", "Rating rate"),
    "satisfaction.series.area": ("群众满意度(测评)", "Surveyed satisfaction"),
    "satisfaction.hover.answers": ("（有效评价 {n}）", " ({n} ratings)"),
    "satisfaction.hover.rated": ("（参评 {n}）", " ({n} rated)"),
    "satisfaction.unnamed": ("（未注明）", "(not given)"),
    "satisfaction.note": ("本页统计期内进行的回访（回访时间在期内），对象为符合类别、来源、状态、网"
                          "格筛选的案件；"
                          "满意率 =（满意 + 基本满意）/ 参评数，参评率 = 参评数 / 回访数，与指标库"
                          "同口径。",
                          "The page counts the follow-up calls made in the period, of the cases "
                          "the category, source, status and grid filters select; satisfaction "
                          "= (satisfied + fairly satisfied) / rated, rating rate = rated / "
                          "follow-ups, as in the KPI registry."),
    "satisfaction.note.area": ("群众满意度(测评口径) 来自定期的群众满意度测评（不对应案件）：期内答"
                               "卷中"
                               "（满意 + 基本满意）/ 有效评价数；未作评价的答卷（如“不了解”）计入测"
                               "评样本数、"
                               "不计入比率。测评面板只按区域与时段统计（类别、来源、状态、网格筛选"
                               "不适用）；"
                               "关于乡镇等上级区域的答卷计入该区域及以上，不分摊到下级单元。",
                               "Surveyed satisfaction comes from the periodic resident "
                               "satisfaction surveys (tied to no case): of the period's "
                               "answers, (satisfied + fairly satisfied) / answers with a "
                               "rating; answers without one (such as \"don't know\") count in "
                               "the sample, not in the rate. The survey panels go by region and "
                               "period only (category, source, status and grid filters do not "
                               "apply); answers about a town or another higher area count "
                               "there and above, not in its units."),
    # 四级联动
    "linkage.panel.sankey": ("逐级上报流向（村→乡镇→区县→市）与办结层级",
                             "Escalations (village → town → county → city) and where cases "
                             "closed"),
    "linkage.panel.pending": ("各层级在办案件（当前）", "Open cases by tier (now)"),
    "linkage.panel.dwell": ("各层级停留时间（期内结案案件）",
                            "Time spent at each tier (cases closed in the period)"),
    "linkage.panel.transfers": ("部门间转派（期内，最多的12对）",
                                "Transfers between departments (period, 12 largest pairs)"),
    "linkage.total": ("期内逐级上报 {up} 次 · 转派 {transfers} 次 · 结案 {closed} 件",
                      "{up} escalations in the period · {transfers} transfers · {closed} "
                      "closed"),
    "linkage.closed": ("办结", "Closed"),
    "linkage.series.mean": ("平均", "Mean"),
    "linkage.series.median": ("中位", "Median"),
    "linkage.hover.dwell": ("%{{x}} {name} %{{y:.1f}} 小时（%{{customdata:,}} 件）",
                            "%{{x}} {name} %{{y:.1f}} h (%{{customdata:,}} cases)"),
    "linkage.col.from": ("转出部门", "From"),
    "linkage.col.to": ("转入部门", "To"),
    "linkage.col.n": ("次数", "Transfers"),
    "linkage.none": ("期内没有部门间转派", "No transfers between departments in the period"),
    "linkage.note": ("流向：期内发生的“上报上级”，与指标库上报乡镇/区县/市级次数同口径；办结：期内"
                     "结案案件的最终处置层级；"
                     "在办：当前已立案未结案的案件按所在层级；停留时间：期内结案案件自到达该层级（"
                     "立案或被上报）"
                     "至离开（再上报或结案）的小时数。对象为符合类别、来源、状态、网格筛选的案件。",
                     "Flow: the escalations made in the period, as the registry's escalations "
                     "to town, county and city; closed: the final tier of the cases closed in "
                     "the period; open: registered cases not closed now, by their tier; time "
                     "at a tier: hours of the cases closed in the period from reaching the tier "
                     "(registration or escalation) to leaving it (escalation or closure). Of "
                     "the cases the category, source, status and grid filters select."),
    # 物联预警
    "iot.map": ("告警分布与设备（红点为告警中，点击下钻）",
                "Alerts and sensors (red: alarming; click to drill)"),
    "iot.panel.sensors": ("设备与告警中设备·按类型（点击筛选）",
                          "Sensors by type (click to filter)"),
    "iot.panel.alerts": ("每日告警与处置", "Alerts and handled per day"),
    "iot.panel.handle": ("告警处置用时·按类型", "Alert handling time by type"),
    "iot.panel.open": ("超阈值未处置告警", "Unhandled alerts over threshold"),
    "iot.total": ("期内告警 {n} 次", "{n} alerts in the period"),
    "iot.series.sensors": ("设备数", "Sensors"),
    "iot.series.alarming": ("告警中", "Alarming"),
    "iot.hover.sensors": ("%{x}: %{y:,} 台", "%{x}: %{y:,} sensors"),
    "iot.hover.alarming": ("%{x}: 告警中 %{y:,} 台", "%{x}: %{y:,} alarming"),
    "iot.series.median": ("中位", "Median"),
    "iot.series.p90": ("P90", "P90"),
    "iot.series.alerts": ("告警", "Alerts"),
    "iot.series.handled": ("已处置", "Handled"),
    "iot.col.code": ("设备", "Sensor"),
    "iot.col.what": ("类型 · 级别", "Type · level"),
    "iot.col.value": ("读数/阈值", "Reading/threshold"),
    "iot.col.where": ("位置", "Where"),
    "iot.col.open": ("已持续", "Open for"),
    "iot.none": ("没有未处置的告警", "No unhandled alert"),
    "iot.note": ("本页统计期末前安装的设备与期内产生的告警；告警中：有未处置告警的设备（当前）；"
                 "处置用时：告警至处置完成的分钟数（已处置告警）。",
                 "The page counts the sensors installed by the period end and the alerts "
                 "raised in the period; alarming: sensors with an unhandled alert (now); "
                 "handling time: minutes from alert to handled (handled alerts)."),
    # 通报 (layouts/reports.py)
    "reports.title": ("通报归档 · {scope}", "Archived reports · {scope}"),
    "reports.note": ("每份通报保存生成时的数据快照：再次下载数字不变；“截至后到达”为生成时"
                     "统计期内在数据截至时点之后才到达的记录数。下载留有审计记录。",
                     "Each report keeps a snapshot of the data it was made from: a second "
                     "download gives the same figures; \"late\" counts the records of the "
                     "period that arrived after its as-of moment. Downloads are audited."),
    "reports.empty": ("本辖区暂无已归档的通报。通报按计划生成（月报每月1日、周报每周一，"
                      "或由 gridcmd report 生成），归档后在此下载。",
                      "No archived reports for your jurisdiction yet. Reports are made on "
                      "schedule (monthly on the 1st, weekly on Mondays, or by gridcmd report) "
                      "and can be downloaded here once archived."),
    "reports.col.region": ("地区", "Region"),
    "reports.col.level": ("层级", "Level"),
    "reports.col.period": ("统计期", "Period"),
    "reports.col.as_of": ("数据截至", "Data as of"),
    "reports.col.generated": ("生成时间", "Made"),
    "reports.col.reported": ("上报数", "Reported"),
    "reports.col.close_rate": ("结案率", "Closure rate"),
    "reports.col.ontime_rate": ("按期结案率", "On-time closure"),
    "reports.col.late": ("截至后到达", "Late"),
    "reports.col.download": ("下载", "Download"),
    "reports.kind.month": ("月报", "monthly"),
    "reports.kind.week": ("周报", "weekly"),
    # workflow values the code owns (dashboard/taxonomy.py: statuses, risk levels, ratings;
    # the states, lights, bands and stages the pages derive). In Chinese a value reads as
    # itself; see value() below.
    "value.status.待立案": ("待立案", "To register"),
    "value.status.已立案": ("已立案", "Registered"),
    "value.status.处置中": ("处置中", "In hand"),
    "value.status.待核查": ("待核查", "To verify"),
    "value.status.待结案": ("待结案", "To close"),
    "value.status.已结案": ("已结案", "Closed"),
    "value.status.已作废": ("已作废", "Void"),
    "value.stage.上报": ("上报", "Reported"),
    "value.stage.立案": ("立案", "Registered"),
    "value.stage.派遣": ("派遣", "Dispatched"),
    "value.stage.处置": ("处置", "Handled"),
    "value.stage.核查": ("核查", "Verified"),
    "value.stage.结案": ("结案", "Closed"),
    "value.stage_now.registered": ("待派遣", "To dispatch"),
    "value.stage_now.dispatched": ("处置中", "In hand"),
    "value.stage_now.handled": ("待核查", "To verify"),
    "value.stage_now.verified": ("待结案", "To close"),
    "value.risk.一般": ("一般", "Ordinary"),
    "value.risk.较大": ("较大", "Serious"),
    "value.risk.重大": ("重大", "Major"),
    "value.hstate.按期整改": ("按期整改", "Rectified on time"),
    "value.hstate.超期整改": ("超期整改", "Rectified late"),
    "value.hstate.整改中": ("整改中", "In progress"),
    "value.hstate.逾期未整改": ("逾期未整改", "Overdue"),
    "value.rating.满意": ("满意", "Satisfied"),
    "value.rating.基本满意": ("基本满意", "Fairly satisfied"),
    "value.rating.不满意": ("不满意", "Dissatisfied"),
    "value.rating.未参评": ("未参评", "Not rated"),
    "value.light.正常": ("正常", "Normal"),
    "value.light.临期": ("临期", "Due soon"),
    "value.light.超期": ("超期", "Overdue"),
    "value.light.按期办结": ("按期办结", "Closed on time"),
    "value.light.超期办结": ("超期办结", "Closed late"),
    "value.light.无时限": ("无时限", "No time limit"),
    "value.light.未立案": ("未立案", "Not registered"),
    "value.band.4小时内": ("4小时内", "< 4 h"),
    "value.band.4–24小时": ("4–24小时", "4–24 h"),
    "value.band.1–3天": ("1–3天", "1–3 d"),
    "value.band.3–7天": ("3–7天", "3–7 d"),
    "value.band.7天以上": ("7天以上", "> 7 d"),
    "value.band.未处置": ("未处置", "Not handled"),
    # a sensor reading's unit where the catalogue's is a Chinese word (高空抛物 counts)
    "value.sunit.次": ("次", "times"),
    "value.stype.烟感": ("烟感", "Smoke"),
    "value.stype.燃气": ("燃气", "Gas"),
    "value.stype.水位": ("水位", "Water level"),
    "value.stype.井盖位移": ("井盖位移", "Manhole cover"),
    "value.stype.电气火灾": ("电气火灾", "Electrical fire"),
    "value.stype.高空抛物": ("高空抛物", "Thrown objects"),
    "value.alert_level.严重": ("严重", "severe"),
    "value.alert_level.一般": ("一般", "ordinary"),
    "value.person_risk.低": ("低", "low"),
    "value.person_risk.中": ("中", "medium"),
    "value.person_risk.高": ("高", "high"),
    "value.handoff.上报上级": ("上报上级", "Escalated"),
    "value.handoff.转派": ("转派", "Transferred"),
    "value.place.（未指定）": ("（未指定）", "(none)"),
    "value.place.（未落到网格）": ("（未落到网格）", "(no grid)"),
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


def value(group: str, code, lang: str = DEFAULT_LANG) -> str:
    """A workflow value the code owns (a case status, risk level, rating, hazard state,
    time-limit light, duration band, workflow stage, sensor type …; the ``value.<group>.``
    entries, keyed by the value as stored) in ``lang``. A value without an entry (a city's
    own word) reads as itself: the store's data is never replaced by a blank.

    Vocabularies the store holds with English names (categories, sources, hazard types,
    key-person categories) are named by :meth:`dashboard.taxonomy.Vocab.label` instead.
    """
    if code is None or (isinstance(code, float) and code != code):
        return ""
    found = MESSAGES.get(f"value.{group}.{code}")
    if found is None:
        return str(code)
    return found[1] if normalize(lang) == "en" else found[0]


def values(group: str, codes, lang: str = DEFAULT_LANG) -> list[str]:
    """:func:`value` of each of ``codes``."""
    return [value(group, c, lang) for c in codes]


def current_lang() -> str:
    """The language of the current request (cookie), Chinese outside a request."""
    from flask import has_request_context, request

    if not has_request_context():
        return DEFAULT_LANG
    return normalize(request.cookies.get(COOKIE))
