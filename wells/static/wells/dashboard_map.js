/* The dashboard's map of wells: Leaflet (vendored under wells/vendor/leaflet), the markers from
   the page's json_script "well-map-data" (wells.views._well_map). Circle markers are SVG drawn by
   Leaflet itself, so they show with no tiles at all (offline, or no tile server configured). */
(function () {
  "use strict";

  function popup(marker) {
    var box = document.createElement("div");
    box.className = "well-popup";
    var link = document.createElement("a");
    link.href = marker.url;
    link.textContent = marker.name;
    link.setAttribute("data-well-link", marker.id);
    box.appendChild(link);
    var line = document.createElement("p");
    line.textContent = "API " + marker.apiNumber + " · " + marker.statusLabel +
      (marker.openAlerts ? " · " + marker.openAlerts + " open alert" + (marker.openAlerts === 1 ? "" : "s") : "");
    box.appendChild(line);
    return box;
  }

  function start() {
    var holder = document.getElementById("well-map");
    var source = document.getElementById("well-map-data");
    if (!holder || !source || typeof L === "undefined") return;
    var data = JSON.parse(source.textContent);
    var map = L.map(holder, {scrollWheelZoom: false, worldCopyJump: true});
    if (data.tiles) {
      L.tileLayer(data.tiles.url, {maxZoom: 18, attribution: data.tiles.attribution}).addTo(map);
    }
    // The view first: Leaflet draws a layer's SVG element once the map has one.
    var points = data.markers.map(function (m) { return [m.lat, m.lng]; });
    if (points.length === 1) {
      map.setView(points[0], 13);
    } else if (points.length > 1) {
      map.fitBounds(points, {padding: [24, 24], maxZoom: 15});
    } else {
      map.setView([31.0, -100.0], 5);  // nothing to place: a neutral view
    }
    data.markers.forEach(function (m) {
      var colour = data.colours[m.colour] || "#6b7280";
      var circle = L.circleMarker([m.lat, m.lng], {
        radius: m.colour === "alert" ? 9 : 7, color: "#ffffff", weight: 2, fillColor: colour, fillOpacity: 0.95,
        className: "well-marker well-marker-" + m.colour
      }).addTo(map);
      circle.bindPopup(popup(m));
      circle.bindTooltip(m.name + " (" + m.statusLabel + (m.openAlerts ? ", open alert" : "") + ")");
      var path = circle.getElement();
      if (path) {
        path.setAttribute("data-well", m.id);
        path.setAttribute("aria-label", m.name + ", " + m.statusLabel + (m.openAlerts ? ", open alert" : ""));
      }
    });
    holder.setAttribute("data-ready", "true");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
