/* Live notifications: one websocket per tab to /ws/notifications/. Updates the bell's unread
   count and shows a toast for each notification. The rows are stored server-side, so a dropped
   socket loses nothing: it reconnects with backoff and the page's count is already right. */
(function () {
  "use strict";
  var MIN_DELAY = 1000, MAX_DELAY = 30000, TOAST_MS = 8000;
  var POLICY_VIOLATION = 1008; // signed out or workspace suspended: retrying will not help
  var delay = MIN_DELAY, socket = null;

  function bell() { return document.getElementById("notification-bell"); }

  function setCount(count) {
    var link = bell();
    if (!link) return;
    var badge = link.querySelector(".badge");
    if (badge) { badge.textContent = String(count); badge.dataset.unread = String(count); }
    link.setAttribute("aria-label", "Notifications, " + count + " unread");
    link.classList.toggle("has-unread", count > 0);
  }

  function region() {
    var box = document.getElementById("toasts");
    if (!box) {
      box = document.createElement("div");
      box.id = "toasts";
      box.className = "toasts";
      // A polite live region: screen readers announce each toast without stealing focus.
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      document.body.appendChild(box);
    }
    return box;
  }

  function toast(n) {
    var item = document.createElement("div");
    item.className = "toast";
    item.dataset.notificationId = String(n.id);
    // textContent only: titles carry user data (contact names) and must never become HTML.
    var title = document.createElement(n.url ? "a" : "strong");
    title.className = "toast-title";
    title.textContent = n.title;
    if (n.url) title.href = n.url;
    item.appendChild(title);
    if (n.body) {
      var body = document.createElement("p");
      body.textContent = n.body;
      item.appendChild(body);
    }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close link";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "\u00d7";
    close.addEventListener("click", function () { item.remove(); });
    item.appendChild(close);
    region().appendChild(item);
    setTimeout(function () { item.remove(); }, TOAST_MS);
  }

  function onMessage(event) {
    var data;
    try { data = JSON.parse(event.data); } catch (e) { return; }
    if (data.type !== "notification" || !data.payload) return;
    var n = data.payload;
    if (n.type && n.type !== "notification") return; // e.g. import progress: not a toast
    if (typeof n.unread_count === "number") setCount(n.unread_count);
    toast(n);
    document.dispatchEvent(new CustomEvent("lodestar:notification", { detail: n }));
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/ws/notifications/");
    socket.addEventListener("open", function () {
      delay = MIN_DELAY;
      document.documentElement.dataset.liveSocket = "open";
    });
    socket.addEventListener("message", onMessage);
    socket.addEventListener("close", function (event) {
      document.documentElement.dataset.liveSocket = "closed";
      if (event.code === POLICY_VIOLATION) return;
      // Exponential backoff with jitter, so a restarted server is not hit by every tab at once.
      var wait = delay / 2 + Math.random() * delay / 2;
      delay = Math.min(delay * 2, MAX_DELAY);
      setTimeout(connect, wait);
    });
  }

  if (bell()) connect();
})();
