// Pipeline board: drag a card to another column, or use its "Move to" select (keyboard).
// Both POST the card's move form with X-Board: 1; the server answers with the re-rendered
// board (new totals) or {"error"} (400/403), shown on the card, which stays where it was.
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board) return;

  function csrfToken() {
    var fromCookie = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return fromCookie ? decodeURIComponent(fromCookie[1]) : board.dataset.csrf || "";
  }

  function announce(text) {
    var status = document.getElementById("board-status");
    if (status) status.textContent = text;
  }

  function showError(card, message) {
    var slot = card.querySelector(".card-error");
    slot.textContent = message; // text, never HTML
    slot.hidden = false;
    announce(message);
  }

  function columnFor(stageId) {
    return board.querySelector('.column[data-stage-id="' + stageId + '"]');
  }

  function move(card, stageId) {
    var column = columnFor(stageId);
    var form = card.querySelector("form.move-form");
    if (!column || !form || card.closest(".column") === column) return;
    var body = new FormData(form);
    body.set("stage", stageId);
    body.set("lost_reason", "");
    if (column.dataset.lost === "true") {
      var reason = window.prompt("Why was “" + card.dataset.dealName + "” lost?", "");
      if (reason === null) return; // cancelled: nothing happens
      body.set("lost_reason", reason);
    }
    card.classList.add("busy");
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Board": "1", "X-CSRFToken": csrfToken() },
    })
      .then(function (response) {
        if (response.ok) return response.text().then(function (html) { redraw(html, card, column); });
        return response
          .json()
          .catch(function () { return {}; })
          .then(function (data) {
            card.classList.remove("busy");
            showError(card, data.error || "The deal could not be moved (" + response.status + ").");
          });
      })
      .catch(function () {
        card.classList.remove("busy");
        showError(card, "The server could not be reached; the deal was not moved.");
      });
  }

  function redraw(html, card, column) {
    var dealId = card.dataset.dealId;
    board.innerHTML = html;
    // Keep the keyboard user where they were: on the moved card's select.
    var select = board.querySelector('.deal-card[data-deal-id="' + dealId + '"] select');
    if (select) select.focus();
    announce("“" + card.dataset.dealName + "” moved to " + column.dataset.stageName + ".");
  }

  // Delegated listeners: the board's HTML is replaced after every move.
  var dragged = null;
  board.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest('.deal-card[draggable="true"]');
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.dealId);
  });
  board.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    board.querySelectorAll(".drop-target").forEach(function (c) { c.classList.remove("drop-target"); });
  });
  board.addEventListener("dragover", function (event) {
    var column = event.target.closest && event.target.closest(".column");
    if (!dragged || !column) return;
    event.preventDefault(); // allows the drop
    event.dataTransfer.dropEffect = "move";
    board.querySelectorAll(".drop-target").forEach(function (c) {
      if (c !== column) c.classList.remove("drop-target");
    });
    column.classList.add("drop-target");
  });
  board.addEventListener("drop", function (event) {
    var column = event.target.closest && event.target.closest(".column");
    if (!dragged || !column) return;
    event.preventDefault();
    column.classList.remove("drop-target");
    move(dragged, column.dataset.stageId);
  });
  board.addEventListener("submit", function (event) {
    var form = event.target.closest("form.move-form");
    if (!form) return;
    event.preventDefault();
    move(form.closest(".deal-card"), form.elements.stage.value);
  });
})();
