// The import wizard's live progress bar (templates/imports/progress.html).
// Progress arrives on the user's notification socket (/ws/notifications/) as
// {type: "notification", payload: {type: "import.progress", job_id, ...}}. This script opens
// its own socket (independent of the bell's live.js) and, when the socket is unavailable or
// closes, polls the job's JSON status endpoint every 2 s instead. Both give the same shape.
(function () {
  "use strict";
  var card = document.getElementById("import-progress");
  if (!card) return;
  var jobId = Number(card.dataset.jobId);
  var statusUrl = card.dataset.statusUrl;
  var POLL_MS = 2000;
  var SOCKET_WAIT_MS = 3000;
  var pollTimer = null;
  var socket = null;
  var finished = card.dataset.finished === "true";

  function setField(name, value) {
    card.querySelectorAll('[data-field="' + name + '"]').forEach(function (el) {
      el.textContent = value == null ? "" : String(value); // text, never HTML
    });
  }

  var lastProcessed = -1;

  function render(state, source) {
    if (Number(state.job_id) !== jobId || finished) return;
    // A late answer (a poll sent before a socket message) must not move the bar backwards.
    if (Number(state.processed) < lastProcessed) return;
    lastProcessed = Number(state.processed) || 0;
    var total = Number(state.total) || 0;
    var processed = Number(state.processed) || 0;
    var percent = state.percent != null ? Number(state.percent)
      : (total ? Math.floor((100 * processed) / total) : 100);
    if (state.status === "completed") percent = 100;
    var bar = card.querySelector(".progress");
    bar.setAttribute("aria-valuenow", String(percent));
    card.querySelector(".progress-fill").style.width = percent + "%";
    setField("percent", percent);
    ["processed", "total", "created", "updated", "skipped", "errors"].forEach(function (k) {
      if (state[k] != null) setField(k, state[k]);
    });
    if (state.status_display) setField("status_display", state.status_display);
    else if (state.status) setField("status_display", state.status.charAt(0).toUpperCase() + state.status.slice(1));
    var lastError = card.querySelector('[data-field="last_error"]');
    if (state.last_error) { lastError.textContent = state.last_error; lastError.hidden = false; }
    card.dataset.source = source; // which path delivered the latest update (tests read it)
    if (state.status === "completed" || state.status === "failed") finish();
  }

  function finish() {
    finished = true;
    card.dataset.finished = "true";
    card.querySelector(".import-done").hidden = false;
    stopPolling();
    if (socket) socket.close();
  }

  function fetchStatus() {
    return fetch(statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) { if (state) render(state, "poll"); })
      .catch(function () { /* the next tick tries again */ });
  }

  function startPolling() {
    if (finished || pollTimer) return;
    card.dataset.transport = "poll";
    fetchStatus();
    pollTimer = window.setInterval(fetchStatus, POLL_MS);
  }

  function stopPolling() {
    if (pollTimer) window.clearInterval(pollTimer);
    pollTimer = null;
  }

  function openSocket() {
    if (!("WebSocket" in window)) return startPolling();
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(scheme + location.host + "/ws/notifications/");
    } catch (e) {
      return startPolling();
    }
    // A socket that never says hello (blocked by a proxy) must not freeze the bar.
    var waited = window.setTimeout(startPolling, SOCKET_WAIT_MS);
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message.type === "hello") {
        window.clearTimeout(waited);
        stopPolling();
        card.dataset.transport = "socket";
        // Batches committed before the socket opened were announced to nobody: catch up once.
        fetchStatus().then(function () { card.dataset.synced = "true"; });
        return;
      }
      var payload = message.type === "notification" ? message.payload : null;
      if (payload && payload.type === "import.progress") render(payload, "socket");
    };
    socket.onclose = function () {
      window.clearTimeout(waited);
      socket = null;
      if (!finished) startPolling();
    };
  }

  if (!finished) openSocket();
})();
