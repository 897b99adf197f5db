/*
 * Time playback of the overview (态势回放; registered in dashboard/callbacks/playback.py).
 *
 * The server sends every frame of the period at once (dashboard/playback.py: per map unit
 * one value per day, fixed colour classes, the region's card values per day). This
 * function steps through them in the browser: the regions layer's hideout (its colours and
 * hover labels), the day, the frame cards and the timeline's cursor. Play, pause, the
 * slider and the close button never ask the server. The map's own hideout is kept while a
 * replay runs and put back when it closes.
 */
(function () {
    "use strict";

    function triggeredIds() {
        var ctx = window.dash_clientside.callback_context;
        return ((ctx && ctx.triggered) || []).map(function (t) {
            return (t.prop_id || "").split(".")[0];
        });
    }

    function count(v) {
        if (v === null || v === undefined || isNaN(v)) { return "–"; }
        return Math.round(v).toLocaleString("en-US");
    }

    function label(v, frames) {
        if (v === null || v === undefined) { return "–"; }
        var d = frames.decimals || 0;
        var text = d ? v.toFixed(d) : Math.round(v).toLocaleString("en-US");
        return text + (frames.unit || "");
    }

    /* The map's hideout for frame i: the base (selected unit, names) with this day's
     * values, labels and the replay's fixed classes. */
    function hideoutAt(base, frames, i) {
        var values = {}, labels = {}, details = {};
        frames.codes.forEach(function (code, u) {
            var v = frames.values[u][i];
            values[code] = v;
            labels[code] = label(v, frames);
            details[code] = [[frames.label, labels[code]]];
        });
        return Object.assign({}, base || {}, {
            playback: true, indicator: frames.indicator, values: values, labels: labels, details: details,
            breaks: frames.breaks, rawBreaks: frames.rawBreaks, colors: frames.colors,
            unit: frames.unit
        });
    }

    var CARDS = ["reported", "closed", "overdue", "open_hazards"];

    /* The map's own hideout, as its last server answer set it (never a replay frame):
     * frames are drawn over it and it is put back when the replay closes. */
    var base = null;

    function drive(frames, nTicks, slider, nPlay, nClose, hideout, state) {
        var no = window.dash_clientside.no_update;
        var fired = triggeredIds();
        var s = Object.assign({}, state || {});
        if (hideout && !hideout.playback) { base = hideout; }
        var n = frames && frames.days ? frames.days.length : 0;
        var keep = function () {
            return [no, no, no, no, no, no, no, no, no, no].concat(CARDS.map(function () {
                return no;
            })).concat([no]);
        };
        if (fired.indexOf("playback-close-button") >= 0) {
            var restore = base || no;
            s.active = false; s.playing = false; s.loop = false;
            return [restore, 0, no, true, true, s.text.play, no, no, no, false]
                .concat(CARDS.map(function () { return no; })).concat([s]);
        }
        var index = s.index || 0;
        if (fired.indexOf("playback-frames-store") >= 0) {
            if (!n) { return keep(); }
            if (!s.active) { index = 0; }
            index = Math.min(index, n - 1);
            s.active = true;
            s.playing = true;
        } else if (!s.active || !n) {
            return keep();  // a play click before the frames arrive: the server answers
        } else if (fired.indexOf("playback-play-button") >= 0) {
            s.playing = !s.playing;
            if (s.playing && index >= n - 1) { index = 0; }
        } else if (fired.indexOf("playback-step-interval") >= 0) {
            if (!s.playing) { return keep(); }
            index += 1;
            if (index >= n) {
                if (s.loop) { index = 0; } else { index = n - 1; s.playing = false; }
            }
        } else if (fired.indexOf("playback-frame-slider") >= 0) {
            if (slider === index) { return keep(); }
            index = Math.max(0, Math.min(n - 1, slider || 0));
        }
        s.index = index;
        var note = frames.window > 1 ? s.text.window.replace("{n}", frames.window)
            : s.text.stock;
        var cards = CARDS.map(function (key) {
            return count((frames.cards[key] || {values: []}).values[index]);
        });
        return [
            hideoutAt(base, frames, index),
            index,
            n - 1,
            !s.playing,
            false,
            s.playing ? s.text.pause : s.text.play,
            frames.days[index],
            note,
            {left: ((index + 0.5) / n * 100).toFixed(3) + "%"},
            true
        ].concat(cards).concat([s]);
    }

    window.dash_clientside = Object.assign(window.dash_clientside || {}, {
        gridcmd_playback: {drive: drive}
    });
}());
