// The merchant portal's live feed: new payments appear at the top of the list as the platform
// records them, whatever the customer's phone shows. Served by the binary (the pages' CSP allows
// no inline script). EventSource reconnects by itself and sends Last-Event-ID, so nothing is
// missed; text goes in with textContent only, never as HTML.
(function () {
  "use strict";
  var panel = document.getElementById("live-feed");
  var table = document.querySelector("#payments tbody");
  if (!panel || !table || !window.EventSource) {
    return;
  }
  var merchant = panel.getAttribute("data-merchant");
  var source = new EventSource("/v1/merchants/" + encodeURIComponent(merchant) + "/events");
  var yen = new Intl.NumberFormat(document.documentElement.lang || "ja", { style: "currency", currency: "JPY" });

  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  source.onmessage = function (message) {
    var event;
    try {
      event = JSON.parse(message.data);
    } catch (e) {
      return;
    }
    var p = event.payment;
    var existing = table.querySelector('tr[data-payment="' + CSS.escape(p.id) + '"]');
    if (existing) {
      existing.querySelector("td[data-status]").textContent = p.status;
      return;
    }
    var row = document.createElement("tr");
    row.setAttribute("data-payment", p.id);
    row.className = "new";
    var code = cell(row, "");
    var link = document.createElement("a");
    link.className = "confirmation";
    link.href = "/merchant/payments/" + encodeURIComponent(p.id);
    var strong = document.createElement("strong");
    strong.textContent = p.confirmation_code;
    link.appendChild(strong);
    code.appendChild(link);
    cell(row, yen.format(p.amount_minor));
    cell(row, p.status).setAttribute("data-status", p.status);
    cell(row, p.store_id);
    cell(row, new Date(event.created_at_ms).toLocaleString());
    table.insertBefore(row, table.firstChild);
    panel.textContent = panel.getAttribute("data-label-new") + " " + p.confirmation_code;
  };

  source.addEventListener("reset", function () {
    window.location.reload();
  });
})();
