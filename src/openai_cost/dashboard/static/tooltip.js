// Instant tooltips for chart elements carrying data-tip (the SVG <title> works without this).
(function () {
  "use strict";
  var tip = null;
  function show(e) {
    var t = e.target.closest ? e.target.closest("[data-tip]") : null;
    if (!t) { hide(); return; }
    if (!tip) { tip = document.createElement("div"); tip.id = "oc-tip"; document.body.appendChild(tip); }
    tip.textContent = t.getAttribute("data-tip");
    tip.style.left = (e.clientX + 12) + "px";
    tip.style.top = (e.clientY + 12) + "px";
    tip.hidden = false;
  }
  function hide() { if (tip) { tip.hidden = true; } }
  document.addEventListener("mousemove", show);
  document.addEventListener("mouseleave", hide);
})();
