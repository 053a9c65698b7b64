// A revealed virtual card number is masked again after its time (data-mask-after-secs, 60 s):
// the digits leave the page, not just the view.
(function () {
  var el = document.getElementById("card-number");
  if (!el || !el.dataset.maskAfterSecs) return;
  var secs = parseInt(el.dataset.maskAfterSecs, 10) || 60;
  window.setTimeout(function () {
    el.textContent = el.dataset.masked || "";
    el.removeAttribute("data-mask-after-secs");
    el.setAttribute("data-masked-at", String(Date.now()));
  }, secs * 1000);
})();
