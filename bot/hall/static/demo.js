// The demo portal's search box and service tiles hand the citizen's words to the widget.
(function () {
  "use strict";
  var form = document.querySelector("form.search");
  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var q = form.q.value.trim();
      if (q && window.OneTripWidget) { window.OneTripWidget.send(q); form.q.value = ""; }
    });
  }
  document.querySelectorAll("[data-ask]").forEach(function (tile) {
    tile.addEventListener("click", function () {
      if (window.OneTripWidget) { window.OneTripWidget.send(tile.getAttribute("data-ask")); }
    });
  });
})();
