// Large-type mode (大字模式): remembered on this device, applied before the page paints.
(function () {
  var KEY = "safetynet.large";
  var root = document.documentElement;
  try { if (localStorage.getItem(KEY) === "1") root.classList.add("large"); } catch (e) { /* storage off */ }
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("large-toggle");
    if (!button) return;
    button.setAttribute("aria-pressed", String(root.classList.contains("large")));
    button.addEventListener("click", function () {
      var on = root.classList.toggle("large");
      button.setAttribute("aria-pressed", String(on));
      try { localStorage.setItem(KEY, on ? "1" : "0"); } catch (e) { /* storage off */ }
    });
  });
})();
