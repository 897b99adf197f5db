/*
 * Clientside navigation of the overview (registered in dashboard/callbacks/overview.py).
 *
 * One function decides the next region and indicator from whatever fired: a click on a
 * map unit drills down, a breadcrumb goes back up, a kiosk tick moves to the next theme,
 * and a new critical alert (on a kiosk) jumps to its village. The server checks every
 * region it is sent against the user's jurisdiction; nothing here is trusted.
 */
(function () {
    "use strict";

    function triggered() {
        var ctx = window.dash_clientside.callback_context;
        return (ctx && ctx.triggered) || [];
    }

    /* The app's URL prefix, as Dash itself reads it (the app may live below "/"). */
    function prefix() {
        var el = document.getElementById("_dash-config");
        try {
            return JSON.parse(el.textContent).requests_pathname_prefix || "/";
        } catch (e) {
            return "/";
        }
    }

    /*
     * Start loading the next level's outlines while the server computes its colours: the
     * layer URL is cacheable, so the map's own request is then answered from the cache.
     */
    function prefetch(p) {
        if (p.level && p.level !== "grid" && window.fetch) {
            window.fetch(prefix() + "geo/" + p.code + ".geojson", {credentials: "same-origin"})
                .catch(function () { return null; });
        }
    }

    function nav(nClicks, crumbClicks, critical, nRotate,
                 clickData, region, indicator, seen, kiosk) {
        var no = window.dash_clientside.no_update;
        var out = [no, no, no, no, no];
        var fired = triggered();
        for (var i = 0; i < fired.length; i++) {
            var id = fired[i].prop_id;
            var value = fired[i].value;
            if (id.indexOf("overview-regions-geojson.n_clicks") === 0) {
                var p = clickData && clickData.properties;
                if (p && p.code && p.code !== region) {
                    out[0] = p.code;
                    prefetch(p);
                }
            } else if (id.indexOf("overview-crumb-button") >= 0) {
                if (value) {
                    out[0] = JSON.parse(id.slice(0, id.lastIndexOf("."))).code;
                }
            } else if (id.indexOf("overview-rotate-interval") === 0) {
                var themes = (kiosk && kiosk.themes) || [];
                if (themes.length) {
                    var k = themes.indexOf(indicator);
                    out[1] = themes[(k + 1) % themes.length];
                }
            } else if (id.indexOf("overview-critical-store") === 0) {
                if (critical && critical.key !== seen) {
                    out[2] = critical.key;
                    // The first alert a screen sees is the state it starts in, not news.
                    if (seen !== null && seen !== undefined && kiosk && kiosk.on) {
                        out[0] = critical.village_code;
                        out[1] = critical.kind === "major_hazard" ? "hazards" : "incidents";
                        out[3] = (kiosk.text || "{title} · {place}")
                            .replace("{title}", critical.title)
                            .replace("{place}", critical.place);
                        out[4] = false;
                    }
                }
            }
        }
        return out;
    }

    /*
     * A figure laid out for 1920×1080 (16 px root), scaled to this screen: plotly sizes
     * fonts, margins and markers in pixels, the page in rem.
     */
    function scaleFigure(figure) {
        if (!figure) { return window.dash_clientside.no_update; }
        var root = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
        var k = root / 16;
        var fig = JSON.parse(JSON.stringify(figure));
        var layout = fig.layout || {};
        function scaleFont(font) {
            if (font && typeof font.size === "number") { font.size *= k; }
        }
        layout.font = layout.font || {};
        layout.font.size = (layout.font.size || 13) * k;
        if (layout.margin) {
            ["l", "r", "t", "b"].forEach(function (side) {
                if (typeof layout.margin[side] === "number") { layout.margin[side] *= k; }
            });
        }
        (layout.annotations || []).forEach(function (a) { scaleFont(a.font); });
        Object.keys(layout).forEach(function (key) {
            if (key.indexOf("xaxis") === 0 || key.indexOf("yaxis") === 0) {
                layout[key].tickfont = layout[key].tickfont || {};
                layout[key].tickfont.size = (layout[key].tickfont.size || 12) * k;
            }
        });
        (fig.data || []).forEach(function (trace) {
            if (trace.marker && typeof trace.marker.size === "number") {
                trace.marker.size *= k;
            }
            if (trace.line && typeof trace.line.width === "number") { trace.line.width *= k; }
        });
        fig.layout = layout;
        return fig;
    }

    /*
     * The page's URL query with the picked as-of day and period (other parameters, such as
     * kiosk, rotate, region and indicator, are kept), written back without a reload.
     */
    function syncUrl(asof, period) {
        var params = new URLSearchParams(window.location.search);
        if (asof) { params.set("asof", String(asof).slice(0, 10)); } else { params.delete("asof"); }
        if (period) { params.set("period", period); } else { params.delete("period"); }
        var query = params.toString();
        return query ? "?" + query : "";
    }

    window.dash_clientside = Object.assign(window.dash_clientside || {}, {
        gridcmd_overview: {nav: nav, scaleFigure: scaleFigure, syncUrl: syncUrl}
    });
}());
