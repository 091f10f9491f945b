// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // The account select list switches as soon as a new account is picked.
  document.addEventListener("change", function (event) {
    var select = event.target.closest("select[data-autosubmit]");
    if (select && select.form) {
      select.form.requestSubmit();
    }
  });

  // Buttons with data-confirm ask before submitting (destructive actions).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // The phone menu button opens and closes the left menu.
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".menu-button");
    if (!button) return;
    var menu = document.getElementById(button.getAttribute("aria-controls"));
    var open = menu.classList.toggle("open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });

  document.documentElement.classList.add("js");
})();
