// Progressive enhancement only: every page works without this file.
// On a narrow screen the filters sit above the results; start them closed so that the results
// are in view. Without JavaScript they simply stay open.
(function () {
  "use strict";
  var panel = document.querySelector("details.filter-panel");
  if (panel && window.matchMedia("(max-width: 47.99em)").matches) {
    panel.open = false;
  }
})();
