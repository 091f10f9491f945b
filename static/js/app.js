// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Buttons with data-confirm ask before submitting (destructive actions).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // The phone menu button opens and closes the left menu; Escape closes it.
  function setMenu(button, open) {
    var menu = document.getElementById(button.getAttribute("aria-controls"));
    menu.classList.toggle("open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      var focusable = menu.querySelectorAll("a, select, button");
      for (var i = 0; i < focusable.length; i++) {
        if (focusable[i].offsetParent !== null) {
          focusable[i].focus();
          break;
        }
      }
    } else {
      button.focus();
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".menu-button");
    if (button) setMenu(button, button.getAttribute("aria-expanded") !== "true");
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var button = document.querySelector('.menu-button[aria-expanded="true"]');
    if (button) setMenu(button, false);
  });

  document.documentElement.classList.add("js");
})();
