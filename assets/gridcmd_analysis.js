/*
 * The analysis pages' charts follow the screen like the rest of the page: the page is sized
 * in rem off the viewport (gridcmd.css), plotly in pixels for a 16 px root (1920×1080).
 * After every draw, a chart whose font does not match the root size is relaid out once with
 * fonts scaled by root/16 (the overview does the same to its figures before drawing them).
 */
(function () {
    "use strict";

    var BASE = 13;  // layouts/theme.py: the template's font size at a 16 px root

    function target() {
        var root = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
        return Math.round(BASE * root / 16 * 10) / 10;
    }

    function scale(gd) {
        if (!window.Plotly || !gd.layout || !gd._fullLayout) { return; }
        var size = target();
        var now = gd.layout.font && gd.layout.font.size;
        if (now === size || (!now && size === BASE)) { return; }
        window.Plotly.relayout(gd, {"font.size": size});
    }

    function bind(gd) {
        if (gd.__gcScaled) { return; }
        gd.__gcScaled = true;
        gd.on("plotly_afterplot", function () { scale(gd); });
        scale(gd);
    }

    function scan() {
        document.querySelectorAll(".gc-analysis .js-plotly-plot").forEach(function (gd) {
            if (typeof gd.on === "function") { bind(gd); }
        });
    }

    var pending = null;
    new MutationObserver(function () {
        if (pending) { return; }
        pending = setTimeout(function () { pending = null; scan(); }, 150);
    }).observe(document.documentElement, {childList: true, subtree: true});
    window.addEventListener("resize", function () {
        document.querySelectorAll(".gc-analysis .js-plotly-plot").forEach(scale);
    });
}());
