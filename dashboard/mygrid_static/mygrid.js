/* 我的网格 (layouts/mygrid.py): the quick-report form. The map is the grid outline as SVG
   (no tiles): a tap or GPS sets the point; the server checks that it lies in one of the
   worker's grids. A photo is scaled down in the browser before it is sent. Offline (or a
   failed send), the report waits with its photo in IndexedDB (localStorage, without the
   photo, where IndexedDB is missing) and is sent again (same client_id, so never twice)
   when the connection is back. */
(function () {
  "use strict";
  var QUEUE = "mygrid-queue", DB = "mygrid", STORE = "queue";
  var form, map, pin, status, endpoint;

  function say(text, cls) { status.textContent = text; status.className = cls || ""; }

  function toLonLat(x, y) {
    var d = map.dataset;
    return [parseFloat(d.west) + x / parseFloat(d.kx), parseFloat(d.north) - y / parseFloat(d.ky)];
  }
  function toXY(lon, lat) {
    var d = map.dataset;
    return [(lon - parseFloat(d.west)) * parseFloat(d.kx), (parseFloat(d.north) - lat) * parseFloat(d.ky)];
  }
  function setPoint(lon, lat, how) {
    form.elements.lon.value = lon.toFixed(6);
    form.elements.lat.value = lat.toFixed(6);
    var xy = toXY(lon, lat);
    pin.setAttribute("cx", xy[0].toFixed(1));
    pin.setAttribute("cy", xy[1].toFixed(1));
    document.getElementById("mg-where").textContent =
      "位置（" + how + "）：" + lon.toFixed(5) + ", " + lat.toFixed(5);
  }

  function tap(ev) {
    var pt = map.createSVGPoint();
    pt.x = ev.clientX; pt.y = ev.clientY;
    var p = pt.matrixTransform(map.getScreenCTM().inverse());
    var ll = toLonLat(p.x, p.y);
    setPoint(ll[0], ll[1], "地图选点");
  }

  function gps() {
    if (!navigator.geolocation) { say("此设备不支持定位", "err"); return; }
    say("正在定位…");
    navigator.geolocation.getCurrentPosition(function (pos) {
      setPoint(pos.coords.longitude, pos.coords.latitude, "GPS");
      say("");
    }, function () { say("定位失败，请在地图上选点", "err"); },
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  /* A camera photo (several MB) becomes a JPEG of at most 1280 px, well under the limit. */
  function shrink(file) {
    return new Promise(function (resolve) {
      if (!file || !file.type.match(/^image\//) || file.size < 200 * 1024) { resolve(file); return; }
      var img = new Image(), url = URL.createObjectURL(file);
      img.onload = function () {
        var k = Math.min(1, 1280 / Math.max(img.width, img.height));
        var c = document.createElement("canvas");
        c.width = Math.round(img.width * k); c.height = Math.round(img.height * k);
        c.getContext("2d").drawImage(img, 0, 0, c.width, c.height);
        URL.revokeObjectURL(url);
        c.toBlob(function (b) { resolve(b || file); }, "image/jpeg", 0.8);
      };
      img.onerror = function () { URL.revokeObjectURL(url); resolve(file); };
      img.src = url;
    });
  }

  function newId() {
    var a = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function queue() { try { return JSON.parse(localStorage.getItem(QUEUE) || "[]"); } catch (e) { return []; } }
  function saveQueue(q) { try { localStorage.setItem(QUEUE, JSON.stringify(q)); } catch (e) { /* full */ } }

  /* The offline queue: one IndexedDB record per report, keyed by its client_id, the photo
     kept as a Blob. Every call resolves to null where IndexedDB is unavailable (a private
     window of some browsers), and the callers fall back to the localStorage queue. */
  function db() {
    return new Promise(function (resolve) {
      if (!window.indexedDB) { resolve(null); return; }
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "client_id" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { resolve(null); };
    });
  }
  function store(mode, work) {
    return db().then(function (d) {
      if (!d) { return null; }
      return new Promise(function (resolve, reject) {
        var t = d.transaction(STORE, mode), req = work(t.objectStore(STORE));
        t.oncomplete = function () { resolve(req ? req.result : true); };
        t.onerror = t.onabort = function () { reject(t.error); };
      });
    });
  }
  function enqueue(fields, photo) {
    var item = { queued_at: Date.now(), photo: photo || null };
    Object.keys(fields).forEach(function (k) { item[k] = fields[k]; });
    return store("readwrite", function (s) { return s.put(item); }).then(function (done) {
      if (done) { return true; }
      var q = queue(); q.push(fields); saveQueue(q); return false;  /* no photo */
    }, function () { var q = queue(); q.push(fields); saveQueue(q); return false; });
  }
  function queued() {
    return store("readonly", function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.queued_at - b.queued_at; });
    }, function () { return []; });
  }
  function dequeue(id) { return store("readwrite", function (s) { return s.delete(id); }); }

  function send(fields, photo) {
    var body = new FormData();
    Object.keys(fields).forEach(function (k) { body.append(k, fields[k]); });
    if (photo) { body.append("photo", photo, "photo.jpg"); }
    return fetch(endpoint, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (j) { j.httpStatus = r.status; return j; }); });
  }

  function reported(j) {
    say(j.case_no && j.httpStatus < 300 ? "离线上报已发送：" + j.case_no : "离线上报未通过：" + (j.error || j.httpStatus),
        j.httpStatus < 300 ? "ok" : "err");
  }

  var flushing = false;
  function flush() {
    if (flushing || !navigator.onLine) { return; }
    flushing = true;
    queued().then(function (items) {
      if (items.length) {  /* IndexedDB first, the oldest report first */
        var item = items[0], fields = {};
        ["category", "lon", "lat", "text", "client_id"].forEach(function (k) { fields[k] = item[k]; });
        return send(fields, item.photo).then(function (j) {
          if (j.httpStatus >= 500) { return false; }  /* try again later */
          return dequeue(item.client_id).then(function () { reported(j); return true; });
        });
      }
      var q = queue();
      if (!q.length) { return false; }
      return send(q[0], null).then(function (j) {
        if (j.httpStatus >= 500) { return false; }
        saveQueue(queue().slice(1));
        reported(j);
        return true;
      });
    }).then(function (more) { flushing = false; if (more) { flush(); } },
            function () { flushing = false; /* still offline */ });
  }

  function submit(ev) {
    ev.preventDefault();
    var f = form.elements;
    if (!f.category.value || !f.text.value.trim()) { say("请选择类别并填写描述", "err"); return; }
    f.client_id.value = newId();
    var fields = { category: f.category.value, lon: f.lon.value, lat: f.lat.value,
                   text: f.text.value, client_id: f.client_id.value };
    var btn = document.getElementById("mg-send");
    btn.disabled = true;
    say("正在上报…");
    var shrunk = null;
    shrink(f.photo.files[0]).then(function (photo) {
      if (photo && photo.size > 600 * 1024) { throw new Error("照片超过 600 KB"); }
      shrunk = photo || null;
      return send(fields, photo);
    }).then(function (j) {
      if (j.httpStatus < 300) {
        say("已上报，案件编号 " + j.case_no, "ok");
        form.reset();
        setPoint(parseFloat(f.lon.value), parseFloat(f.lat.value), "网格中心");
      } else { say("上报失败：" + (j.error || j.httpStatus), "err"); }
    }, function (err) {
      if (err && err.message && err.message.indexOf("照片") === 0) { say(err.message, "err"); return null; }
      return enqueue(fields, shrunk).then(function (withPhoto) {
        say("网络不可用，已保存，恢复网络后自动发送" + (withPhoto || !shrunk ? "" : "（照片未保存）"), "err");
        form.reset();
        setPoint(parseFloat(f.lon.value), parseFloat(f.lat.value), "网格中心");
      });
    }).then(function () { btn.disabled = false; });
  }

  /* A cleared worker opens one person's clear name and phone (audited on the server). */
  function reveal(ev) {
    var btn = ev.target.closest(".mg-clear");
    if (!btn) { return; }
    var item = btn.closest(".mg-item"), base = document.getElementById("mg-person").innerHTML;
    btn.disabled = true;
    fetch(base + encodeURIComponent(btn.dataset.person) + "?clear=1", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        if (!j.person) { btn.textContent = "无权限"; return; }
        item.querySelector(".mg-name").textContent = j.person.name;
        var phone = item.querySelector(".mg-phone"), a = document.createElement("a");
        a.href = "tel:" + j.person.phone; a.textContent = j.person.phone;
        phone.textContent = ""; phone.appendChild(a);
        btn.remove();
      }, function () { btn.disabled = false; say("网络不可用", "err"); });
  }

  function online() {
    document.getElementById("mg-offline").hidden = navigator.onLine;
    flush();
  }

  document.addEventListener("DOMContentLoaded", function () {
    form = document.getElementById("mg-form");
    map = document.getElementById("mg-map");
    pin = document.getElementById("mg-pin");
    status = document.getElementById("mg-status");
    endpoint = document.getElementById("mg-endpoint").innerHTML.replace(/&amp;/g, "&");
    if (!form || !map) { return; }
    setPoint(parseFloat(form.elements.lon.value), parseFloat(form.elements.lat.value), "网格中心");
    map.addEventListener("click", tap);
    document.getElementById("mg-gps").addEventListener("click", gps);
    form.addEventListener("submit", submit);
    document.addEventListener("click", reveal);
    window.addEventListener("online", online);
    window.addEventListener("offline", online);
    online();
    /* the service worker keeps an offline copy of this page (the form) for this session */
    var sw = document.getElementById("mg-sw");
    sw = sw && sw.innerHTML.replace(/&amp;/g, "&");
    if (sw && navigator.serviceWorker) {
      var page = new URL(sw, location.href).searchParams.get("page");
      navigator.serviceWorker.register(sw, { scope: page }).catch(function () { /* none */ });
    }
  });
}());
