/* Shared map and request helpers of every page. The basemap is drawn from the study area's own OSM data
   (served as GeoJSON by /basemap/...), so the map works with no internet; the configured tile URL adds an online
   layer. The page's settings come from its <script type="application/json" id="geoplan-config"> block (the
   Content-Security-Policy allows no inline script). Dynamic text is only ever put into a page as text: build it
   with GeoMap.node (textContent), and hand Leaflet elements, never HTML strings, for tooltips, popups and icons. */
"use strict";

const GeoMap = (() => {
  const CONFIG = (() => {
    const block = document.getElementById("geoplan-config");
    try { return JSON.parse(block ? block.textContent : "{}"); } catch (e) { return {}; }
  })();
  const TEXTS = CONFIG.i18n || {};
  const TILE_URL = CONFIG.tile_url || "";
  const csrf = () => { const tag = document.querySelector('meta[name="csrf-token"]'); return tag ? tag.content : ""; };
  const T = (key) => TEXTS[key] || key;

  /** Text as HTML that shows it literally, for the one Leaflet API that takes only HTML strings: the names in
      L.control.layers. Everything else takes elements (node below). */
  const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  const escape = (text) => String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);

  /** An element with a class and text (set as textContent: whatever the text holds, it stays text). */
  function node(tag, className, text) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined && text !== null) element.textContent = text;
    return element;
  }

  const STREET_WEIGHT = { motorway: 4, trunk: 4, primary: 3.5, secondary: 3, tertiary: 2.5, residential: 1.5 };

  async function api(method, url, body) {
    const options = { method, headers: { "X-CSRFToken": csrf(), Accept: "application/json" } };
    if (body instanceof FormData) options.body = body;
    else if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(url, options);
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      const error = new Error((data && data.error) || `${response.status} ${response.statusText}`);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  /** Show a confirmation, an error or progress in the page's one message place (#message; on the planner pages a
      fixed bar that never scrolls out of view). Errors are announced at once (role="alert"), the rest politely. */
  function message(text, kind) {
    const box = document.getElementById("message");
    if (!box) return;
    box.textContent = text || "";
    box.className = `message ${box.dataset.place || ""} ${kind || ""}`.replace(/\s+/g, " ").trim();
    box.setAttribute("role", kind === "error" ? "alert" : "status");
    box.hidden = !text;
  }

  // A click on the fixed message bar dismisses it.
  document.addEventListener("click", (event) => {
    if (event.target.id === "message" && event.target.dataset.place === "toast") event.target.hidden = true;
  });

  /** A text of the table with its {name} placeholders filled from params. */
  function fill(key, params) {
    return Object.entries(params || {}).reduce((text, [name, value]) => text.split(`{${name}}`).join(value), T(key));
  }

  /** Run slow work (a function returning a promise) with its progress shown: the label and the seconds elapsed in
      #message, the controls disabled meanwhile. Resolves to [value, seconds]; rejects as the work does. */
  async function busy(labelKey, work, controls) {
    const started = Date.now();
    const seconds = () => Math.floor((Date.now() - started) / 1000);
    const locked = (controls || []).filter((c) => c && !c.disabled);
    for (const control of locked) { control.disabled = true; control.setAttribute("aria-busy", "true"); }
    const box = document.getElementById("message");
    if (box) box.dataset.busy = labelKey;
    const tick = () => message(fill("progress_elapsed", { what: T(labelKey), s: seconds() }), "busy");
    tick();
    const timer = setInterval(tick, 1000);
    try {
      const value = await work();
      return [value, (Date.now() - started) / 1000];
    } finally {
      clearInterval(timer);
      if (box) delete box.dataset.busy;
      for (const control of locked) { control.disabled = false; control.removeAttribute("aria-busy"); }
    }
  }

  function create(elementId, area, zooms) {
    // Quarter zoom steps: an area fits its map instead of filling a quarter of it at the next whole zoom down.
    const map = L.map(elementId, { preferCanvas: true, zoomControl: true, zoomSnap: 0.25, zoomDelta: 0.5 });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    L.control.scale({ imperial: false }).addTo(map);
    if (TILE_URL) {
      L.tileLayer(TILE_URL, { maxZoom: 19, attribution: "tiles" }).addTo(map);
    }
    const styles = {
      landuse: () => ({ color: "#cfe3c4", weight: 0, fillOpacity: 0.5 }),
      water: () => ({ color: "#8ab4d8", weight: 1, fillColor: "#aad3ee", fillOpacity: 0.9 }),
      buildings: () => ({ color: "#b9b0a6", weight: 0.5, fillColor: "#d9d0c9", fillOpacity: 0.9 }),
      streets: (f) => ({ color: "#9a9a9a", weight: STREET_WEIGHT[f.properties.highway] || 1, opacity: 0.9 }),
    };
    const layers = {};
    fetch(`/basemap/${encodeURIComponent(area)}/bounds.json`).then((r) => r.json()).then((b) => map.fitBounds(b));
    const order = ["landuse", "water", "buildings", "streets"];
    /** Each basemap layer's GeoJSON as it arrives (the review map's search reads the street names). */
    map.basemapData = {};
    for (const name of order) {
      // The basemap is the area's own OpenStreetMap data: its licence (ODbL) asks for the attribution.
      const attribution = name === "streets" ? escape(T("webmap_osm_attribution")) : "";
      layers[name] = L.geoJSON(null, { style: styles[name], interactive: false, attribution });
      map.basemapData[name] = fetch(`/basemap/${encodeURIComponent(area)}/${name}.geojson`).then((r) => r.json());
      map.basemapData[name].then((data) => {
        layers[name].addData(data);
        refresh();
      }).catch(() => { /* a missing layer leaves the map without it */ });
    }
    function refresh() {
      const zoom = map.getZoom();
      for (const name of order) {
        const show = zoom >= ((zooms && zooms[name]) || 0);
        if (show && !map.hasLayer(layers[name])) layers[name].addTo(map).bringToBack();
        if (!show && map.hasLayer(layers[name])) map.removeLayer(layers[name]);
      }
      if (map.hasLayer(layers.landuse)) layers.landuse.bringToBack();
    }
    map.on("zoomend", refresh);
    map.whenReady(refresh);
    return map;
  }

  const STATUS_COLOUR = { proposed: "#1f6feb", accepted: "#1a7f37", rejected: "#a40e26", existing: "#8250df" };

  /** The number planners call a site by (#3): its stable number in the scenario (the id before it had one). */
  function siteNumber(site) { return `#${site.number === undefined || site.number === null ? site.id : site.number}`; }

  function siteIcon(site, change) {
    const dot = node("div", `site-marker ${site.status}${site.city_level ? " city" : ""}${change ? ` ${change}` : ""}`);
    dot.dataset.siteId = site.id;
    dot.dataset.number = site.number === undefined || site.number === null ? "" : site.number;
    dot.dataset.status = site.status;
    if (change) dot.dataset.change = change;
    const level = utilisationLevel(site.utilisation);
    if (level) {  // a capacitated scenario: a ring coloured by the station's utilisation in its busiest window
      dot.classList.add(`util-${level}`);
      dot.dataset.utilisation = site.utilisation;
    }
    dot.title = siteNumber(site);
    return L.divIcon({ className: "", html: dot, iconSize: [18, 18], iconAnchor: [9, 9] });
  }

  /** How full a station is in its busiest window: "low" (< 70 %), "high" (70-100 %), "full" (at capacity), or ""
      when the scenario is not planned for capacity. The exports' bands are the same
      (geoplan/outputs/utilisation.py). */
  function utilisationLevel(utilisation) {
    if (typeof utilisation !== "number") return "";
    if (utilisation >= 0.9999) return "full";
    return utilisation >= 0.7 ? "high" : "low";
  }

  function groupName(key) { const name = T(`group_${key}`); return name === `group_${key}` ? key : name; }

  function pct(x) { return x === undefined || x === null ? "–" : `${(100 * x).toFixed(1)}%`; }
  function num(x) { return x === undefined || x === null ? "–" : Number(x).toLocaleString(undefined, { maximumFractionDigits: 0 }); }
  /** Workers served within capacity and their share, "1,234 (82.3%)", of a figures row of a capacitated scenario. */
  function served(row) { return `${num(row.served)} (${pct(row.served_share)})`; }

  return { api, message, busy, fill, create, siteIcon, siteNumber, STATUS_COLOUR, T, pct, num, served, groupName, node,
    escape, utilisationLevel };
})();
