// "Draft a message" panel (templates/language/_draft_panel.html). The draft streams over the
// /ws/ai/draft/ socket into the textarea; Approve / Discard post the rep's decision. No framework.
(function () {
  "use strict";

  function segments(text, basic, ext) {
    // Same rules as intelligence/language/segments.py: GSM-7 160/153 (extension chars count 2),
    // else UCS-2 70/67 in UTF-16 units; a 2-unit character never splits across parts.
    var chars = Array.from(text);
    var gsm = chars.every(function (c) { return basic.indexOf(c) >= 0 || ext.indexOf(c) >= 0; });
    var costs = chars.map(function (c) {
      if (gsm) return ext.indexOf(c) >= 0 ? 2 : 1;
      return c.codePointAt(0) > 0xffff ? 2 : 1;
    });
    var total = costs.reduce(function (a, b) { return a + b; }, 0);
    var single = gsm ? 160 : 70, part = gsm ? 153 : 67;
    if (total <= single) return { encoding: gsm ? "GSM-7" : "UCS-2", segments: total ? 1 : 0, chars: total, remaining: single - total };
    var n = 1, used = 0;
    costs.forEach(function (c) { if (used + c > part) { n += 1; used = 0; } used += c; });
    return { encoding: gsm ? "GSM-7" : "UCS-2", segments: n, chars: total, remaining: part - used };
  }

  function setup(panel) {
    if (panel.dataset.ready) return;
    panel.dataset.ready = "1";
    var $ = function (sel) { return panel.querySelector(sel); };
    var form = $("[data-draft-form]"), text = $("[data-draft-text]"), status = $("[data-draft-status]");
    var engine = $("[data-draft-engine]"), counter = $("[data-draft-segments]");
    var approve = $("[data-draft-approve]"), discard = $("[data-draft-discard]");
    var subjectBox = $("[data-draft-subject]"), subjectInput = $("[data-draft-subject-input]");
    var csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
    var state = { usageId: null, socket: null };

    function channel() { return form.elements.channel.value; }
    function say(msg, isError) { status.textContent = msg; status.classList.toggle("error", !!isError); }
    function count() {
      if (channel() !== "sms") { counter.textContent = text.value.length + " characters"; return; }
      var info = segments(text.value, panel.dataset.gsmBasic, panel.dataset.gsmExtension);
      counter.textContent = info.encoding + " · " + info.chars + " chars · " + info.segments +
        " segment" + (info.segments === 1 ? "" : "s") + " · " + info.remaining + " left";
      counter.classList.toggle("warn", info.segments > 2);
    }
    function decided(enabled) { approve.disabled = discard.disabled = !enabled; }
    function busy(on) { form.querySelector("[data-draft-write]").disabled = on; }

    function post(url, data) {
      var body = new URLSearchParams(data);
      return fetch(url, { method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRFToken": csrf } }).then(function (r) {
        return r.json().catch(function () { return { message: "Unexpected answer (" + r.status + ")." }; })
          .then(function (json) { json.ok = r.ok; return json; });
      });
    }

    function write(event) {
      event.preventDefault();
      if (state.socket) state.socket.close();
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      var socket = new WebSocket(scheme + location.host + panel.dataset.socket);
      state.socket = socket;
      state.usageId = null;
      text.value = "";
      engine.textContent = "";
      decided(false);
      busy(true);
      say("Writing…");
      socket.onopen = function () {
        socket.send(JSON.stringify({
          type: "draft", record_type: panel.dataset.recordType, record_id: Number(panel.dataset.recordId),
          channel: channel(), purpose: form.elements.purpose.value, tone: form.elements.tone.value
        }));
      };
      socket.onmessage = function (msg) {
        var data = JSON.parse(msg.data);
        if (data.type === "start") { engine.textContent = "Written by: " + data.engine; }
        else if (data.type === "token") { text.value += data.text; count(); }
        else if (data.type === "done") {
          text.value = data.text; count();
          engine.textContent = "Written by: " + data.engine;
          state.usageId = data.usage_id;
          decided(!!data.usage_id);
          say(data.partial ? "The engine stopped early; check the draft before approving." : "Draft ready: edit it, then approve or discard.");
          busy(false); socket.close();
        } else if (data.type === "error") {
          say(data.message, true); busy(false); socket.close();
        }
      };
      socket.onclose = function (e) {
        if (e.code === 1008) say("You are signed out or not allowed here; reload the page.", true);
        busy(false);
      };
    }

    function suggestReplies() {
      var box = $("[data-draft-reply-choices]");
      box.textContent = "";
      say("Suggesting replies…");
      post(panel.dataset.repliesUrl, { record_type: panel.dataset.recordType, record_id: panel.dataset.recordId,
        tone: form.elements.tone.value }).then(function (json) {
        if (!json.ok) { say(json.message, true); return; }
        say("Pick a reply to edit it (" + json.engine + ").");
        json.replies.forEach(function (reply) {
          var b = document.createElement("button");
          b.type = "button"; b.className = "chip"; b.textContent = reply;
          b.addEventListener("click", function () {
            text.value = reply; state.usageId = json.usage_id; engine.textContent = "Written by: " + json.engine;
            decided(true); count();
          });
          box.appendChild(b);
        });
      });
    }

    function suggestSubjects() {
      var box = $("[data-draft-subject-choices]");
      box.textContent = "";
      post(panel.dataset.subjectsUrl, { record_type: panel.dataset.recordType, record_id: panel.dataset.recordId,
        purpose: form.elements.purpose.value, draft: text.value }).then(function (json) {
        if (!json.ok) { say(json.message, true); return; }
        json.subjects.forEach(function (subject) {
          var b = document.createElement("button");
          b.type = "button"; b.className = "chip"; b.textContent = subject;
          b.addEventListener("click", function () { subjectInput.value = subject; });
          box.appendChild(b);
        });
      });
    }

    function decide(url, verb) {
      if (!state.usageId) return;
      var data = { usage_id: state.usageId };
      if (verb === "approve") {
        data.text = text.value;
        if (channel() === "email") data.subject = subjectInput.value;
      }
      post(url, data).then(function (json) {
        if (!json.ok) { say(json.message, true); return; }
        decided(false);
        state.usageId = null;
        if (verb === "approve") say("Approved (" + json.outcome + ") and recorded on the history. Sending is not available yet.");
        else { say("Discarded."); text.value = ""; count(); }
      });
    }

    form.addEventListener("submit", write);
    form.elements.channel.addEventListener("change", function () { subjectBox.hidden = channel() !== "email"; count(); });
    text.addEventListener("input", count);
    $("[data-draft-replies]").addEventListener("click", suggestReplies);
    $("[data-draft-subjects]").addEventListener("click", suggestSubjects);
    approve.addEventListener("click", function () { decide(panel.dataset.approveUrl, "approve"); });
    discard.addEventListener("click", function () { decide(panel.dataset.discardUrl, "discard"); });
    subjectBox.hidden = channel() !== "email";
    count();
  }

  function init() { document.querySelectorAll("[data-draft-panel]").forEach(setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  document.addEventListener("htmx:afterSwap", init);
})();
