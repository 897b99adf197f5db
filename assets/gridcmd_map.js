/*
 * GridCommand map functions, resolved by dash-leaflet from `{"variable": "gridcmd.map.…"}`.
 *
 * dash-leaflet 1.1.3 calls them with the usual Leaflet arguments followed by one more,
 * `context`: the GeoJSON component's props merged with `{map}`. So `context.hideout` is the
 * small dict the overview callback sends ({values, labels, breaks, colors, noData, unit});
 * geometry itself is loaded once by URL and never passes through a callback.
 */
(function () {
    "use strict";

    function hideoutOf(context) {
        return (context && context.hideout) || {};
    }

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

    /* Fill by colour class; thin light borders keep neighbouring regions apart. */
    function styleRegion(feature, context) {
        var hideout = hideoutOf(context);
        var code = feature.properties.code;
        var values = hideout.values || {};
        return {
            fillColor: classColor(values[code], hideout),
            fillOpacity: 0.78,
            color: "#9fdcff",
            opacity: 0.85,
            weight: 1.2,
            lineJoin: "round"
        };
    }

    /*
     * A permanent label (name and count) at the region's label point, which the server
     * computed inside the polygon: Leaflet's own centre of a multipolygon or of a region
     * with a hole can fall outside it. dash-leaflet rebuilds the layers whenever `hideout`
     * changes, so labels always show the current counts.
     */
    function labelRegion(feature, layer, context) {
        var hideout = hideoutOf(context);
        var p = feature.properties || {};
        var label = (hideout.labels || {})[p.code];
        var html = '<div class="gc-label-name">' + escapeHtml(p.name || p.code) + "</div>";
        if (label !== undefined) {
            html += '<div class="gc-label-value">' + escapeHtml(label) +
                '<span class="gc-label-unit">' + escapeHtml(hideout.unit || "") + "</span></div>";
        }
        layer.bindTooltip(html, {
            permanent: true,
            direction: "center",
            className: "gc-region-label",
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
        });
        layer.on("mouseout", function () {
            var el = layer.getTooltip() && layer.getTooltip().getElement();
            if (el) { el.classList.remove("gc-region-label-hover"); }
        });
    }

    window.gridcmd = Object.assign(window.gridcmd || {}, {
        map: {styleRegion: styleRegion, labelRegion: labelRegion, classColor: classColor}
    });
}());
