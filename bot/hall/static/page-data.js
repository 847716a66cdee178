// Page data without inline script (the hall's Content-Security-Policy allows none): a template
// writes <script type="application/json" data-global="NAME">{...}</script>, which the browser
// does not run, and this file makes it window.NAME for the page's own script, loaded after it.
(function () {
  "use strict";
  var blocks = document.querySelectorAll('script[type="application/json"][data-global]');
  for (var i = 0; i < blocks.length; i++) {
    try { window[blocks[i].getAttribute("data-global")] = JSON.parse(blocks[i].textContent); }
    catch (e) { /* a broken block leaves the global undefined; the page script copes */ }
  }
})();
