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

    /* The alerts card shows one pane at a time: the alerts, or the at-risk queue. */
    function alertTab(tab) {
        var risk = tab === "risk";
        return [risk, !risk];
    }

    /*
     * On a kiosk the alerts card follows the rotation: the 处置时效 theme (map indicator
     * "handle") shows the at-risk queue, every other theme the alerts. A person at a
     * desk picks the pane alone.
     */
    function kioskTab(indicator, kiosk) {
        if (!kiosk || !kiosk.on) { return window.dash_clientside.no_update; }
        return indicator === "handle" ? "risk" : "alerts";
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

    /* Whether [lng, lat] lies inside a ring of LatLngs (even-odd rule). */
    function inRing(ring, lng, lat) {
        var inside = false;
        for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
            var yi = ring[i].lat, yj = ring[j].lat;
            if ((yi > lat) !== (yj > lat)) {
                var x = ring[i].lng + (lat - yi) / (yj - yi) * (ring[j].lng - ring[i].lng);
                if (lng < x) { inside = !inside; }
            }
        }
        return inside;
    }

    /* Every ring of a polygon layer, whatever its nesting (polygon, holes, multipolygon). */
    function rings(latlngs, out) {
        if (latlngs.length && typeof latlngs[0].lat === "number") {
            out.push(latlngs);
        } else {
            latlngs.forEach(function (part) { rings(part, out); });
        }
        return out;
    }

    /* The map unit (a polygon of the region layer) under a point of the map, or null. */
    function unitAt(map, latlng) {
        var found = null;
        map.eachLayer(function (layer) {
            var p = layer.feature && layer.feature.properties;
            if (found || !p || !p.level || !p.code || !layer.getLatLngs) { return; }
            if (!layer.getBounds().contains(latlng)) { return; }
            var inside = false;
            rings(layer.getLatLngs(), []).forEach(function (ring) {
                if (inRing(ring, latlng.lng, latlng.lat)) { inside = !inside; }
            });
            if (inside) { found = layer; }
        });
        return found;
    }

    /*
     * A click on a case or hazard point, or on a cluster of cases, is a click on the map
     * unit under it. At village level and below the points are drawn over the polygons,
     * and at 10M cases a village's clusters cover most of its grids: a click on a grid
     * (on its label, say) then reached a cluster, which zoomed the map and never drilled
     * (issue 18).
     * So the click is handed to the polygon under the point, as if the point were not
     * there. Only a cluster inside the unit already in view (the selected grid) keeps
     * its own meaning: the map zooms in on it.
     */
    function pointClick(e) {
        var map = (e.target && e.target._map) || (e.layer && e.layer._map);
        if (!map || !e.latlng) { return; }
        var unit = unitAt(map, e.latlng);
        var tip = unit && unit.getTooltip && unit.getTooltip();
        var current = tip && / gc-label-selected/.test(tip.options.className || "");
        if (unit && !current) {
            unit.fire("click", {
                latlng: e.latlng, layerPoint: e.layerPoint, containerPoint: e.containerPoint,
                originalEvent: e.originalEvent
            }, true);
            return;
        }
        var p = e.layer && e.layer.feature && e.layer.feature.properties;
        if (p && p.cluster) {
            map.flyTo(e.latlng, Math.min(map.getZoom() + 2, map.getMaxZoom()));
        }
    }

    window.gridcmd = Object.assign(window.gridcmd || {}, {
        overview: {pointClick: pointClick, unitAt: unitAt}
    });

    window.dash_clientside = Object.assign(window.dash_clientside || {}, {
        gridcmd_overview: {alertTab: alertTab, kioskTab: kioskTab, nav: nav,
                           scaleFigure: scaleFigure, syncUrl: syncUrl}
    });
}());
