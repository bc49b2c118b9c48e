/* The page script of the HTML maps geoplan writes (geoplan/outputs/webmap.py inlines it with Leaflet and the data).

   Everything the map shows comes from the JSON block (the script element "geoplan-map-data") of the same
   file: nothing is fetched, so the map draws with no network. Popups and tooltips are HTML built and escaped on the
   Python side (every name, address... is escaped there); legend and layer names are catalogue texts. The basemap
   (land use, water, buildings, streets from the area's own OSM data) is drawn on canvases in panes below the
   overlays, styled as the review map (web/static/map.js) draws it; the online tile layer is off unless chosen.
   When the map is drawn, the html element gets data-geoplan-map="ready" and window.geoplanMap holds the map and layers. */
"use strict";

(() => {
  const DATA = JSON.parse(document.getElementById("geoplan-map-data").textContent);
  const STREET_WEIGHT = { motorway: 4, trunk: 4, primary: 3.5, secondary: 3, tertiary: 2.5, residential: 1.5 };
  const BASEMAP_STYLES = {
    landuse: () => ({ color: "#cfe3c4", weight: 0, fillOpacity: 0.5 }),
    water: () => ({ color: "#8ab4d8", weight: 1, fillColor: "#aad3ee", fillOpacity: 0.9 }),
    buildings: () => ({ color: "#b9b0a6", weight: 0.5, fillColor: "#d9d0c9", fillOpacity: 0.9 }),
    streets: (f) => ({ color: "#9a9a9a", weight: STREET_WEIGHT[f.properties.highway] || 1, opacity: 0.9 }),
  };

  const map = L.map("map", { preferCanvas: true, zoomControl: true, maxZoom: 19 });
  L.control.scale({ imperial: false }).addTo(map);
  const stationRenderer = L.svg({ padding: 0.5 });
  const overlays = {};
  const layers = {};

  function bindTexts(feature, layer) {
    const props = feature.properties || {};
    if (props.tip) layer.bindTooltip(props.tip, { sticky: feature.geometry.type !== "Point" });
    if (props.popup) layer.bindPopup(props.popup, { maxWidth: 320 });
  }

  function basemapLayer(spec, index) {
    // One pane and canvas per basemap layer, stacked in drawing order under the overlay pane (z-index 400).
    const pane = `geoplan-${spec.id}`;
    map.createPane(pane).style.zIndex = String(300 + index);
    const data = L.geoJSON(spec.data, {
      style: BASEMAP_STYLES[spec.id], interactive: false, pane, renderer: L.canvas({ pane }),
      attribution: spec.attribution || "",
    });
    // The group is what the layer control switches; the data is in it from the layer's zoom on (as the review map).
    const group = L.layerGroup();
    const refresh = () => {
      const show = map.getZoom() >= (spec.min_zoom || 0);
      if (show && !group.hasLayer(data)) group.addLayer(data);
      if (!show && group.hasLayer(data)) group.removeLayer(data);
    };
    map.on("zoomend", refresh);
    map.whenReady(refresh);
    group.geoplanData = data;
    return group;
  }

  function overlayLayer(spec) {
    const style = spec.style || {};
    if (spec.kind === "stations") {
      return L.geoJSON(spec.data, {
        pointToLayer: (feature, latlng) => L.circleMarker(latlng, {
          renderer: stationRenderer, className: `geoplan-station geoplan-station-${feature.properties.level}`,
          // A capacitated scenario's station has a ring coloured by its utilisation in its busiest window.
          radius: 9, color: feature.properties.ring || "white", weight: feature.properties.ring ? 3.5 : 2,
          fillColor: feature.properties.colour, fillOpacity: 0.95,
        }),
        onEachFeature: bindTexts,
      });
    }
    if (spec.kind === "circles") {
      return L.geoJSON(spec.data, {
        pointToLayer: (feature, latlng) => L.circleMarker(latlng, {
          radius: feature.properties.radius || style.radius || 3, stroke: style.stroke !== false,
          color: feature.properties.colour || style.color, weight: style.weight || 1,
          fillColor: feature.properties.colour || style.fillColor || style.color, fillOpacity: style.fillOpacity,
        }),
        onEachFeature: bindTexts,
      });
    }
    return L.geoJSON(spec.data, { style: () => style, onEachFeature: bindTexts });
  }

  const named = [];
  DATA.basemap.forEach((spec, index) => {
    const layer = basemapLayer(spec, index);
    layers[spec.id] = layer;
    named.push([spec.name, layer]);
    if (spec.show) layer.addTo(map);
  });
  for (const spec of DATA.overlays) {
    const layer = overlayLayer(spec);
    layers[spec.id] = layer;
    named.push([spec.name, layer]);
    if (spec.show) layer.addTo(map);
  }
  // The layer control lists the top layer first (stations), the basemap below, as they are stacked.
  for (const [name, layer] of named.reverse()) overlays[name] = layer;
  if (DATA.tiles) {
    // Online tiles: only when a planner with a network chooses them; nothing is requested otherwise.
    const tiles = L.tileLayer(DATA.tiles.url, { maxZoom: 19, attribution: DATA.tiles.attribution });
    layers.tiles = tiles;
    overlays[DATA.tiles.name] = tiles;
  }
  L.control.layers(null, overlays, { collapsed: window.innerWidth < 700 }).addTo(map);

  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => {
    const box = L.DomUtil.create("div", "geoplan-legend");
    L.DomEvent.disableClickPropagation(box);
    L.DomUtil.create("div", "geoplan-legend-title", box).textContent = DATA.legend.title;
    for (const item of DATA.legend.items) {
      const row = L.DomUtil.create("div", "geoplan-legend-row", box);
      const swatch = L.DomUtil.create("span", `geoplan-swatch geoplan-swatch-${item.shape}`, row);
      swatch.style.setProperty("--swatch", item.colour);
      L.DomUtil.create("span", "", row).textContent = item.text;
    }
    return box;
  };
  legend.addTo(map);

  map.fitBounds(DATA.bounds);
  window.geoplanMap = { map, layers };
  document.documentElement.dataset.geoplanMap = "ready";
})();
