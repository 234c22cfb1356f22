// Large-type mode (大字模式): remembered for the account (the server renders it) and, before
// sign-in, on this device; applied before the page paints. The phone menu folds the header.
(function () {
  var KEY = "safetynet.large";
  var root = document.documentElement;
  root.classList.add("js");
  var account = root.hasAttribute("data-large-account");
  try { if (!account && localStorage.getItem(KEY) === "1") root.classList.add("large"); } catch (e) { /* storage off */ }
  document.addEventListener("DOMContentLoaded", function () {
    var menu = document.getElementById("menu-toggle");
    var header = document.getElementById("site-header");
    if (menu && header) {
      menu.addEventListener("click", function () {
        var open = header.classList.toggle("open");
        menu.setAttribute("aria-expanded", String(open));
      });
    }
    var button = document.getElementById("large-toggle");
    if (!button) return;
    if (button.form) {
      // Signed in: the form posts to the account's preference; keep this device in step.
      button.form.addEventListener("submit", function () {
        try { localStorage.setItem(KEY, button.form.elements.large.value); } catch (e) { /* storage off */ }
      });
      return;
    }
    button.setAttribute("aria-pressed", String(root.classList.contains("large")));
    button.addEventListener("click", function () {
      var on = root.classList.toggle("large");
      button.setAttribute("aria-pressed", String(on));
      try { localStorage.setItem(KEY, on ? "1" : "0"); } catch (e) { /* storage off */ }
    });
  });
  // An error shown at the top of a page takes the focus, so it is seen and read out.
  document.addEventListener("DOMContentLoaded", function () {
    var error = document.getElementById("page-error");
    if (error) { error.focus(); error.scrollIntoView({block: "start"}); }
  });
})();
