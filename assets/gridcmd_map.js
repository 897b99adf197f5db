/*
 * GridCommand map functions, resolved by dash-leaflet from `{"variable": "gridcmd.map.…"}`.
 *
 * dash-leaflet 1.1.3 calls them with the usual Leaflet arguments followed by one more,
 * `context`: the GeoJSON component's props merged with `{map}`. So `context.hideout` is the
 * small dict the overview callback sends ({indicator, values, labels, breaks, colors,
 * noData, unit, selected, details, names}); geometry itself is loaded once by URL and never
 * passes through a callback. dash-leaflet rebuilds the layers whenever `hideout` changes,
 * so labels and hover texts always show the current values.
 */
(function () {
    "use strict";

    var HOVER_ID = "overview-hover-div";
    var RISK_COLORS = {"重大": "#ff3b30", "较大": "#ff9f0a", "一般": "#ffd60a"};

    /*
     * A replay frame (assets/gridcmd_playback.js) drawn over the layer's own hideout: its
     * values, labels, hover rows and colour classes win while a replay is open, so a layer
     * rebuilt meanwhile (a refresh, a drill) shows the frame too.
     */
    function frame() {
        var f = window.gridcmd && window.gridcmd.playbackFrame;
        // only on the overview that replays it (a frame left behind by leaving the page
        // mid-replay never colours another page's map)
        return f && document.getElementById("overview-playback-body-div") ? f : null;
    }

    function hideoutOf(context) {
        var own = (context && context.hideout) || {};
        var f = frame();
        return f ? Object.assign({}, own, f) : own;
    }

    /* The region layers drawn now, by unit code: a replay restyles them in place. */
    var regions = {};

    function classColor(value, hideout) {
        var breaks = hideout.breaks || [];
        var colors = hideout.colors || [];
        if (value === undefined || value === null || colors.length === 0) {
            return hideout.noData || "#2a3444";
        }
        var k = 0;
        for (var i = 0; i < breaks.length; i++) {
            if (value >= breaks[i]) {
                k = i + 1;
            }
        }
        return colors[Math.min(k, colors.length - 1)];
    }

    function escapeHtml(text) {
        return String(text).replace(/[&<>"']/g, function (c) {
            return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
        });
    }

    /* Fill by colour class; the selected grid stands out, its neighbours step back. */
    function styleRegion(feature, context) {
        var hideout = hideoutOf(context);
        var code = feature.properties.code;
        var values = hideout.values || {};
        var selected = hideout.selected;
        var isSelected = selected && selected === code;
        return {
            fillColor: classColor(values[code], hideout),
            fillOpacity: selected && !isSelected ? 0.35 : 0.78,
            color: isSelected ? "#ffffff" : "#9fdcff",
            opacity: 0.85,
            weight: isSelected ? 4 : 1.2,
            lineJoin: "round"
        };
    }

    function hoverBox() {
        return document.getElementById(HOVER_ID);
    }

    /* The hover box: the unit's name and every indicator, formatted on the server. */
    function showDetails(feature, hideout) {
        var box = hoverBox();
        if (!box) { return; }
        var p = feature.properties || {};
        var rows = (hideout.details || {})[p.code] || [];
        var html = '<div class="gc-hover-name">' + escapeHtml(p.name || p.code) + "</div>";
        html += "<table>";
        rows.forEach(function (r) {
            html += "<tr><th>" + escapeHtml(r[0]) + "</th><td>" + escapeHtml(r[1]) + "</td></tr>";
        });
        html += "</table>";
        box.innerHTML = html;
        box.classList.add("gc-hover-on");
    }

    function hideDetails() {
        var box = hoverBox();
        if (box) { box.classList.remove("gc-hover-on"); }
    }

    /*
     * A permanent label (name and value) at the unit's label point, which the server
     * computed inside the polygon: Leaflet's own centre of a multipolygon or of a region
     * with a hole can fall outside it. Hovering fills the hover box with all indicators.
     */
    function bindRegion(feature, layer, context) {
        var hideout = hideoutOf(context);
        var p = feature.properties || {};
        layer._gcContext = {hideout: (context && context.hideout) || {}};
        regions[p.code] = layer;
        var label = (hideout.labels || {})[p.code];
        var html = '<div class="gc-label-name">' + escapeHtml(p.name || p.code) + "</div>";
        if (label !== undefined) {
            html += '<div class="gc-label-value">' + escapeHtml(label) + "</div>";
        }
        layer.bindTooltip(html, {
            permanent: true,
            direction: "center",
            className: "gc-region-label" + (hideout.selected === p.code ? " gc-label-selected" : ""),
            opacity: 1
        });
        if (typeof p.lat === "number" && typeof p.lon === "number") {
            layer.on("add", function () {
                layer.openTooltip([p.lat, p.lon]);
            });
        }
        layer.on("mouseover", function () {
            var el = layer.getTooltip() && layer.getTooltip().getElement();
            if (el) { el.classList.add("gc-region-label-hover"); }
            showDetails(feature, hideoutOf(layer._gcContext));
        });
        layer.on("mouseout", function () {
            var el = layer.getTooltip() && layer.getTooltip().getElement();
            if (el) { el.classList.remove("gc-region-label-hover"); }
            hideDetails();
        });
        // Layers are rebuilt when values change; one rebuilt under the pointer never
        // sees the pointer leave.
        layer.on("remove", function () {
            hideDetails();
            if (regions[p.code] === layer) { delete regions[p.code]; }
        });
    }

    /* Restyle every region layer drawn now and rewrite its label's value, in place (no
     * rebuild): what a replay frame does, and what closing a replay does to go back. */
    function restyle() {
        Object.keys(regions).forEach(function (code) {
            var layer = regions[code];
            var hideout = hideoutOf(layer._gcContext);
            layer.setStyle(styleRegion(layer.feature, {hideout: layer._gcContext.hideout}));
            var tip = layer.getTooltip && layer.getTooltip();
            var el = tip && tip.getElement && tip.getElement();
            var value = el && el.querySelector(".gc-label-value");
            var label = (hideout.labels || {})[code];
            if (value && label !== undefined) { value.textContent = label; }
        });
    }

    // Leaving the map by any route clears the hover box.
    document.addEventListener("mouseover", function (event) {
        if (!(event.target && event.target.closest && event.target.closest(".gc-map"))) {
            hideDetails();
        }
    });

    function pointTooltip(layer, feature) {
        var p = feature.properties || {};
        layer.bindTooltip(escapeHtml(p.label) + " · " + escapeHtml(p.state), {
            direction: "top", className: "gc-point-tip"
        });
        return layer;
    }

    /* A recent case: cyan, red when it is open past its deadline. */
    function incidentPoint(feature, latlng) {
        var overdue = feature.properties && feature.properties.alert === "overdue";
        var marker = L.circleMarker(latlng, {
            radius: 6, weight: 1.5, color: "#ffffff", opacity: 0.9,
            fillColor: overdue ? "#ee5b3f" : "#35d0ff", fillOpacity: 0.9,
            className: "gc-point-incident"
        });
        return pointTooltip(marker, feature);
    }

    /* An open hazard, coloured by risk level (重大 red, 较大 orange, 一般 yellow). */
    function hazardPoint(feature, latlng) {
        var risk = feature.properties && feature.properties.state;
        var marker = L.circleMarker(latlng, {
            radius: risk === "重大" ? 10 : 8, weight: 2.5, color: RISK_COLORS[risk] || "#ffd60a",
            fillColor: "#1b0f05", fillOpacity: 0.6, className: "gc-point-hazard"
        });
        return pointTooltip(marker, feature);
    }

    /* A sensor: small and calm, red and larger while it has an unhandled alert. */
    function sensorPoint(feature, latlng) {
        var alarm = feature.properties && feature.properties.alert === "alarm";
        var marker = L.circleMarker(latlng, {
            radius: alarm ? 8 : 4, weight: alarm ? 2 : 1, color: alarm ? "#ffffff" : "#4be3a0",
            fillColor: alarm ? "#ee5b3f" : "#4be3a0", fillOpacity: alarm ? 0.95 : 0.6,
            className: alarm ? "gc-point-sensor gc-point-alarm" : "gc-point-sensor"
        });
        return pointTooltip(marker, feature);
    }

    /* A cluster of cases: a disc sized by its count (no images, nothing off-host). */
    function clusterIcon(feature, latlng) {
        var n = feature.properties.point_count;
        var size = n < 10 ? 30 : n < 100 ? 38 : 46;
        var icon = L.divIcon({
            html: "<span>" + n + "</span>",
            className: "gc-cluster",
            iconSize: L.point(size, size)
        });
        return L.marker(latlng, {icon: icon});
    }

    /*
     * A region fitted (the `viewport` a callback sends, fitBounds with the overview's
     * padding) into a map smaller than that padding, or with no size at all (laid out at
     * 0 px while its page loads or a window narrows), made Leaflet compute a NaN zoom and
     * throw "Invalid LatLng object: (NaN, NaN)". Such a fit now shrinks its padding to at
     * most half the map, and a map without a size keeps the fit until it gets one.
     */
    function guardFit() {
        var L = window.L;
        if (!L || !L.Map || L.Map.prototype.gcFitGuarded) {
            return;
        }
        var fit = L.Map.prototype.fitBounds;
        L.Map.prototype.gcFitGuarded = true;
        L.Map.prototype.fitBounds = function (bounds, options) {
            var size = this.getSize();
            if (!(size.x > 0 && size.y > 0)) {
                this.once("resize", function () { this.fitBounds(bounds, options); }, this);
                return this;
            }
            var o = L.extend({}, options);
            var tl = L.point(o.paddingTopLeft || o.padding || [0, 0]);
            var br = L.point(o.paddingBottomRight || o.padding || [0, 0]);
            var sx = Math.min(1, size.x / 2 / Math.max(tl.x + br.x, 1));
            var sy = Math.min(1, size.y / 2 / Math.max(tl.y + br.y, 1));
            if (sx < 1 || sy < 1) {
                delete o.padding;
                o.paddingTopLeft = [tl.x * sx, tl.y * sy];
                o.paddingBottomRight = [br.x * sx, br.y * sy];
            }
            return fit.call(this, bounds, o);
        };
    }
    guardFit();
    window.addEventListener("load", guardFit);

    window.gridcmd = Object.assign(window.gridcmd || {}, {
        map: {
            styleRegion: styleRegion, bindRegion: bindRegion, classColor: classColor,
            restyle: restyle,
            incidentPoint: incidentPoint, hazardPoint: hazardPoint, sensorPoint: sensorPoint,
            clusterIcon: clusterIcon
        }
    });
}());
