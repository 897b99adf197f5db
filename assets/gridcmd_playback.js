/*
 * Time playback of the overview (态势回放; registered in dashboard/callbacks/playback.py).
 *
 * The server sends every frame of the period at once (dashboard/playback.py: per map unit
 * one value per day, colour classes fixed over the replay, the region's card values per
 * day). The player below steps through them in the browser without Dash: a frame restyles
 * the region layers in place (gridcmd.map.restyle reads window.gridcmd.playbackFrame) and
 * writes the day, the cards, the timeline's cursor and the slider straight into the DOM.
 * So a frame costs a few style and text writes, not a callback, a React render and a
 * rebuild of the map's layers. Dash is used only to fetch the frames (play, a drill or a
 * new indicator while the replay is open) and to show or hide the panel (panel()).
 */
(function () {
    "use strict";

    var IDS = {
        body: "overview-playback-body-div", play: "overview-playback-play-button",
        day: "overview-playback-day-text", note: "overview-playback-note-text",
        cursor: "overview-playback-cursor-div", slider: "overview-playback-frame-slider",
        legend: "overview-legend-div"
    };
    var CARDS = ["reported", "closed", "overdue", "open_hazards"];
    var STEP_MS = 700;

    var player = {frames: null, body: null, index: 0, playing: false, timer: null,
                  loop: false, text: {}};

    function el(id) { return document.getElementById(id); }

    /* Frames loaded into the panel on the page now (not one the user navigated away from). */
    function live() {
        return !!(player.frames && player.body && player.body === el(IDS.body));
    }

    function count(v) {
        if (v === null || v === undefined || isNaN(v)) { return "–"; }
        return Math.round(v).toLocaleString("en-US");
    }

    function label(v, frames) {
        if (v === null || v === undefined) { return "–"; }
        var d = frames.decimals || 0;
        return (d ? v.toFixed(d) : Math.round(v).toLocaleString("en-US")) + (frames.unit || "");
    }

    /* What the map draws for frame i over each layer's own hideout. */
    function mapFrame(frames, i) {
        var values = {}, labels = {}, details = {};
        frames.codes.forEach(function (code, u) {
            var v = frames.values[u][i];
            values[code] = v;
            labels[code] = label(v, frames);
            details[code] = [[frames.label + " · " + frames.days[i], labels[code]]];
        });
        return {values: values, labels: labels, details: details, breaks: frames.breaks,
                rawBreaks: frames.rawBreaks, colors: frames.colors, unit: frames.unit,
                indicator: frames.indicator};
    }

    function restyle() {
        var map = window.gridcmd && window.gridcmd.map;
        if (map && map.restyle) { map.restyle(); }
    }

    function slider() {
        var box = el(IDS.slider);
        if (!box) { return null; }
        var input = box.querySelector("input");
        if (!input) {
            input = document.createElement("input");
            input.type = "range";
            input.min = "0";
            input.step = "1";
            input.addEventListener("input", function () {
                show(parseInt(input.value, 10) || 0);
            });
            box.appendChild(input);
        }
        return input;
    }

    function setPlayLabel() {
        var button = el(IDS.play);
        if (button) { button.textContent = player.playing ? player.text.pause : player.text.play; }
    }

    function show(i) {
        var f = player.frames;
        if (!live()) { close(); return; }  // the page was left
        var n = f.days.length;
        i = Math.max(0, Math.min(n - 1, i));
        player.index = i;
        window.gridcmd = window.gridcmd || {};
        window.gridcmd.playbackFrame = mapFrame(f, i);
        restyle();
        el(IDS.day).textContent = f.days[i];
        CARDS.forEach(function (key) {
            var node = el("overview-playback-card-" + key + "-text");
            if (node) { node.textContent = count(((f.cards[key] || {}).values || [])[i]); }
        });
        el(IDS.cursor).style.left = ((i + 0.5) / n * 100).toFixed(3) + "%";
        var input = slider();
        if (input && String(input.value) !== String(i)) { input.value = String(i); }
    }

    function stop() {
        if (player.timer) { clearInterval(player.timer); }
        player.timer = null;
        player.playing = false;
        setPlayLabel();
    }

    function step() {
        if (!live()) { close(); return; }
        var n = player.frames.days.length;
        if (player.index + 1 >= n) {
            if (player.loop) { show(0); } else { stop(); }
            return;
        }
        show(player.index + 1);
    }

    function play() {
        if (!live()) { return; }
        if (player.index >= player.frames.days.length - 1) { show(0); }
        if (player.timer) { clearInterval(player.timer); }
        player.timer = setInterval(step, STEP_MS);
        player.playing = true;
        setPlayLabel();
    }

    function close() {
        stop();
        player.frames = null;
        player.body = null;
        if (window.gridcmd) { window.gridcmd.playbackFrame = null; }
        restyle();
        var legend = el(IDS.legend);
        if (legend) { legend.hidden = false; }
    }

    function load(frames, state) {
        var again = live();
        player.text = (state && state.text) || player.text;
        player.loop = !!(state && state.loop);
        player.frames = frames;
        player.body = el(IDS.body);
        var input = slider();
        if (input) { input.max = String(frames.days.length - 1); }
        el(IDS.note).textContent = frames.note || (frames.window > 1
            ? player.text.window.replace("{n}", frames.window) : player.text.stock);
        CARDS.forEach(function (key) {  // an hourly replay names its cards by the hour
            var value = el("overview-playback-card-" + key + "-text");
            var label = value && value.parentNode.querySelector(".gc-playback-card-label");
            if (!label) { return; }
            if (!label.dataset.day) { label.dataset.day = label.textContent; }
            label.textContent = (frames.cardLabels || {})[key] || label.dataset.day;
        });
        var legend = el(IDS.legend);
        if (legend) { legend.hidden = true; }
        show(again ? player.index : 0);
        play();
    }

    // The play button toggles a loaded replay here; its first click (no frames yet) is
    // the server callback's, which fetches them.
    document.addEventListener("click", function (event) {
        var target = event.target;
        if (!(target && target.closest && target.closest("#" + IDS.play))) { return; }
        if (!live()) { return; }
        if (player.playing) { stop(); } else { play(); }
    });

    /* Dash's part: show the panel when frames arrive, hide it on close (the outputs:
     * the panel's hidden flag and the state the server callback reads). */
    function panel(frames, nClose, state) {
        var ctx = window.dash_clientside.callback_context;
        var fired = ((ctx && ctx.triggered) || []).map(function (t) {
            return (t.prop_id || "").split(".")[0];
        });
        var s = Object.assign({}, state || {});
        if (fired.indexOf("overview-playback-close-button") >= 0) {
            close();
            s.active = false;
            s.loop = false;
            return [true, s];
        }
        if (!frames || !frames.days || !frames.days.length) {
            return [window.dash_clientside.no_update, window.dash_clientside.no_update];
        }
        s.active = true;
        // the panel must be in the page before the player writes into it
        setTimeout(function () { load(frames, s); }, 0);
        return [false, s];
    }

    window.gridcmd = Object.assign(window.gridcmd || {}, {
        playback: {player: player, show: show, play: play, stop: stop, close: close}
    });
    window.dash_clientside = Object.assign(window.dash_clientside || {}, {
        gridcmd_playback: {panel: panel}
    });
}());
