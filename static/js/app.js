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

  // Tables with class "sortable" sort by a column when its header is pressed: numbers as
  // numbers ("#2" before "#13", "1,200" after "950"), text in the reader's order. A cell's
  // data-sort holds its value when the text is not it (a date shown as "Mar 3"). These
  // tables show every row; a paginated list is sorted by the server instead.
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

  function sortValue(cell) {
    if (!cell) return "";
    var value = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
    return value.trim();
  }

  function asNumber(text) {
    var plain = text.replace(/[,\s%$€£]/g, "").replace(/^\u2212/, "-");
    return /^[-+]?(\d+\.?\d*|\.\d+)$/.test(plain) ? parseFloat(plain) : null;
  }

  function compare(a, b) {
    var x = asNumber(a), y = asNumber(b);
    if (x !== null && y !== null) return x - y;
    if (a === "" || b === "") return a === b ? 0 : a === "" ? 1 : -1; // empty cells last
    return collator.compare(a, b);
  }

  function sortTable(table, column, descending) {
    // A table whose rows come in groups (a tbody each) sorts the groups by their first row.
    var groups = table.tBodies.length > 1 ? Array.prototype.slice.call(table.tBodies)
      : Array.prototype.slice.call(table.tBodies[0].rows);
    var keyed = groups.map(function (group, index) {
      var row = group.rows ? group.rows[0] : group;
      return { group: group, value: sortValue(row.cells[column]), index: index };
    });
    keyed.sort(function (p, q) {
      var order = compare(p.value, q.value);
      return (descending ? -order : order) || p.index - q.index;
    });
    var parent = groups[0].parentNode;
    keyed.forEach(function (k) { parent.appendChild(k.group); });
  }

  function makeSortable(table) {
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th, column) {
      if (th.hasAttribute("data-nosort") || !th.textContent.trim()) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () {
        var descending = th.getAttribute("aria-sort") === "ascending";
        Array.prototype.forEach.call(headers, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        sortTable(table, column, descending);
      });
    });
  }

  function sortableTables(root) {
    Array.prototype.forEach.call(root.querySelectorAll("table.sortable:not([data-sortable])"),
      function (table) {
        table.setAttribute("data-sortable", "");
        if (table.tBodies.length) makeSortable(table);
      });
  }

  sortableTables(document);
  document.addEventListener("htmx:afterSettle", function (event) { sortableTables(event.target); });

  // Copy buttons: data-copy names the element whose text is copied, data-copy-status the
  // element that says whether it worked. The text is selected as well, so that where the
  // clipboard is out of reach (a page on plain http) Ctrl+C copies it. Hidden without
  // JavaScript, where they could not work.
  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    function say(copied) {
      if (status) status.textContent = copied ? "Copied." : "Press Ctrl+C (\u2318C on a Mac) to copy it.";
    }
    selectText(source);
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(source.textContent.trim()).then(
        function () { say(true); }, function () { say(false); });
    } else {
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
      say(copied);
    }
  });

  Array.prototype.forEach.call(document.querySelectorAll("[data-copy][hidden]"), function (button) {
    button.hidden = false;
  });

  // A field with data-picks="name=value" checks that radio button of its form when filled
  // in: typing an expiry date picks "On a date".
  document.addEventListener("input", function (event) {
    var picks = event.target.getAttribute && event.target.getAttribute("data-picks");
    if (!picks || !event.target.form) return;
    var parts = picks.split("=");
    var radio = event.target.form.querySelector(
      'input[type="radio"][name="' + parts[0] + '"][value="' + parts[1] + '"]');
    if (radio && event.target.value) radio.checked = true;
  });

  document.documentElement.classList.add("js");
})();
