/*
 * Clientside callbacks of the shell (registered in dashboard/callbacks/shell.py).
 * The clock shows Asia/Shanghai time whatever the screen's own time zone.
 */
(function () {
    "use strict";

    var WEEKDAYS = ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"];

    var WEEKDAYS_EN = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

    function clock(_n, lang) {
        var parts = {};
        new Intl.DateTimeFormat("en-CA", {
            timeZone: "Asia/Shanghai", hourCycle: "h23", weekday: "short",
            year: "numeric", month: "2-digit", day: "2-digit",
            hour: "2-digit", minute: "2-digit", second: "2-digit"
        }).formatToParts(new Date()).forEach(function (p) { parts[p.type] = p.value; });
        var weekday = WEEKDAYS_EN.indexOf(parts.weekday);
        if (lang === "en") {
            return parts.year + "-" + parts.month + "-" + parts.day + " " +
                WEEKDAYS_EN[weekday] + " " + parts.hour + ":" + parts.minute + ":" + parts.second;
        }
        return parts.year + "年" + parts.month + "月" + parts.day + "日 " +
            WEEKDAYS[weekday] + " " + parts.hour + ":" + parts.minute + ":" + parts.second;
    }

    /* The nav links carry the filter state between analysis pages: on an analysis page
     * (one whose link is marked analysis) every analysis link gets the current query;
     * elsewhere (the overview, whose query is kiosk settings) the links stay bare. */
    function navLinks(search, pathname, ids, bases) {
        var here = (bases || []).indexOf(pathname);
        var onAnalysis = here >= 0 && ids[here].analysis === "1";
        return ids.map(function (id, i) {
            var carry = onAnalysis && id.analysis === "1" && search && search.charAt(0) === "?";
            return bases[i] + (carry ? search : "");
        });
    }

    window.dash_clientside = Object.assign(window.dash_clientside || {}, {
        gridcmd: Object.assign((window.dash_clientside || {}).gridcmd || {},
                               {clock: clock, navLinks: navLinks})
    });
}());
