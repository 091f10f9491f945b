// "Use my location" on the check-in page: asks the browser for its position and reloads
// the page with it, so the server lists the nearest shared stores. Without it, or if the
// person says no, the store list below still works.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-locate]");
    if (!button) return;
    var status = document.getElementById("locate-status");
    if (!navigator.geolocation) {
      status.textContent = "This browser cannot give its location: pick the store below.";
      return;
    }
    button.disabled = true;
    status.textContent = "Finding where you are…";
    navigator.geolocation.getCurrentPosition(
      function (position) {
        var url = new URL(button.getAttribute("data-locate"), window.location.href);
        url.searchParams.set("lat", position.coords.latitude.toFixed(6));
        url.searchParams.set("lon", position.coords.longitude.toFixed(6));
        window.location.assign(url.toString());
      },
      function () {
        button.disabled = false;
        status.textContent = "Your location is not available: pick the store below.";
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });
})();
