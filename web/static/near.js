/* "Stations near me": a worker gives a position (GPS, a tap on the map, or a typed station, address or district),
   and sees the nearest published rest stations along the streets, with their services, hours and a route.
   Everything comes from the public API (/api/v1); the basemap is drawn offline from the area's own OSM data. */
"use strict";

(() => {
  const T = GeoMap.T;
  const $ = (id) => document.getElementById(id);
  const LIMIT = 10;        // stations listed
  const WIDE_LIMIT = 50;   // asked for when several services must all be offered (filtered here)
  const ZOOMS = { streets: 0, water: 0, landuse: 13, buildings: 16 };  // as geoplan.basemap.MIN_ZOOM
  const mapBox = $("near-map");
  const list = $("results");

  const state = {
    stations: [],       // every public station (WGS-84), for the place search and the markers
    byId: new Map(),
    area: null,
    point: null,        // {lat, lon} the search starts from
    mode: "walk",
    results: [],
    selected: null,     // station id whose route is drawn
  };
  let map = null;
  let ready = Promise.resolve();
  let routeRenderer = null;
  let searchSeq = 0;
  let routeSeq = 0;
  const stationLayer = L.layerGroup();
  const hereLayer = L.layerGroup();
  const routeLayer = L.layerGroup();

  function message(text, kind) { GeoMap.message(text, kind); }

  async function getJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      const error = new Error((data && data.error) || `${response.status} ${response.statusText}`);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  // --- formatting ----------------------------------------------------------------------------------------------

  function distanceText(metres) {
    if (metres < 1000) return `${Math.round(metres)} ${T("unit_m")}`;
    return `${(metres / 1000).toFixed(metres < 10000 ? 1 : 0)} ${T("unit_km")}`;
  }

  function minutesText(minutes) { return `${Math.max(1, Math.round(minutes))} ${T("unit_minutes")}`; }

  function serviceName(code) {
    const name = T(`service_${code}`);
    return name === `service_${code}` ? code : name;
  }

  function hoursText(hours) {
    if (!hours) return T("hours_unknown");
    const allDay = ["24h", "24 h", "24/7", "24小时", "全天", "00:00-24:00", "0:00-24:00"];
    return allDay.includes(hours.trim().toLowerCase()) ? T("hours_24h") : hours;
  }

  function stationName(station) { return station.name || `${T("unnamed_station")} #${station.id}`; }

  const node = GeoMap.node;

  // --- the map -------------------------------------------------------------------------------------------------

  /* Show an area's basemap. Each area gets its own map (kept, hidden, when a search lands in another area: the
     basemap's layers load asynchronously and must find their map alive). Resolves once the map has its first view
     (GeoMap.create fits the area's bounds when they arrive), so later moves are not undone by that fit. */
  const areaMaps = new Map();

  function useArea(area) {
    if (map && area === state.area) return ready;
    state.area = area;
    for (const [name, other] of areaMaps) other.box.hidden = name !== area;
    let entry = areaMaps.get(area);
    if (!entry) entry = makeMap(area);
    for (const layer of [stationLayer, routeLayer, hereLayer]) layer.remove();
    routeLayer.clearLayers();
    ({ map, ready, renderer: routeRenderer } = entry);
    for (const layer of [stationLayer, routeLayer, hereLayer]) layer.addTo(map);
    map.invalidateSize();
    return ready;
  }

  function makeMap(area) {
    const box = document.createElement("div");
    box.className = "near-area-map";
    box.id = `near-map-${areaMaps.size + 1}`;
    box.dataset.area = area;
    mapBox.append(box);
    const made = GeoMap.create(box.id, area, ZOOMS);
    made.createPane("route").style.zIndex = 450;  // above the canvas basemap, below the markers
    const renderer = L.svg({ pane: "route" });    // SVG, so the route is an element with its own class
    made.on("click", (event) => setPoint(event.latlng.lat, event.latlng.lng, { fit: "reveal" }));
    made.on("moveend", () => {
      if (made !== map) return;
      const centre = made.getCenter();
      mapBox.dataset.center = `${centre.lat.toFixed(6)},${centre.lng.toFixed(6)}`;
      mapBox.dataset.zoom = String(made.getZoom());
    });
    let loaded = false;
    const whenReady = new Promise((resolve) => {
      made.whenReady(() => { loaded = true; resolve(); });
      setTimeout(() => {  // the area's bounds did not come: fall back on its stations
        if (loaded) return;
        const mine = state.stations.filter((s) => s.area === area);
        if (mine.length) made.fitBounds(L.latLngBounds(mine.map((s) => [s.lat, s.lon])).pad(0.2));
        else made.setView([0, 0], 2);
      }, 8000);
    });
    const entry = { map: made, ready: whenReady, renderer, box };
    areaMaps.set(area, entry);
    return entry;
  }

  function stationIcon(station) {
    const classes = ["station-marker"];
    if (state.results.some((s) => s.id === station.id)) classes.push("hit");
    if (station.id === state.selected) classes.push("selected");
    if (!station.open_now) classes.push("closed");
    const dot = node("span", classes.join(" "));
    dot.dataset.stationId = station.id;
    return L.divIcon({
      className: "station-icon",
      html: dot,
      iconSize: [44, 44],  // a finger-sized target around the 26 px dot
      iconAnchor: [22, 22],
    });
  }

  function drawStations() {
    stationLayer.clearLayers();
    const wanted = checkedServices();
    const openOnly = $("open-now").checked;
    for (const station of state.stations) {
      if (station.area !== state.area) continue;
      if (!wanted.every((code) => station.services.includes(code))) continue;
      if (openOnly && !station.open_now) continue;
      const marker = L.marker([station.lat, station.lon], {
        icon: stationIcon(station), title: stationName(station), keyboard: true, riseOnHover: true,
      });
      marker.on("click", () => selectStation(station.id));
      stationLayer.addLayer(marker);
    }
  }

  function drawHere() {
    hereLayer.clearLayers();
    if (!state.point) return;
    L.marker([state.point.lat, state.point.lon], {
      icon: L.divIcon({ className: "here-icon", html: node("span", "here-marker"), iconSize: [22, 22],
                        iconAnchor: [11, 11] }),
      title: T("your_position"), interactive: false, zIndexOffset: 1000,
    }).addTo(hereLayer);
  }

  function fitResults(how) {
    if (!map || !state.point || how === "none") return;
    const here = L.latLng(state.point.lat, state.point.lon);
    const first = state.results[0];
    if (how === "reveal") {  // a tap: keep the view unless the nearest station is off screen
      if (!first || map.getBounds().contains([first.lat, first.lon])) return;
    }
    const points = [here, ...state.results.slice(0, 3).map((s) => L.latLng(s.lat, s.lon))];
    if (points.length === 1) map.setView(here, Math.max(map.getZoom(), 16));
    else map.fitBounds(L.latLngBounds(points), { padding: [36, 36], maxZoom: 17 });
  }

  // --- search --------------------------------------------------------------------------------------------------

  function checkedServices() {
    return [...document.querySelectorAll("input.service-filter:checked")].map((box) => box.value);
  }

  async function setPoint(lat, lon, { fit = "results", station = null } = {}) {
    await started;
    state.point = { lat, lon };
    state.selected = station;
    routeLayer.clearLayers();
    if (map) {
      await ready;
      drawHere();
      if (fit === "centre") map.setView([lat, lon], Math.max(map.getZoom(), 17));
    }
    await search(fit === "centre" ? "none" : fit);
  }

  async function search(fit) {
    if (!state.point) return;
    const seq = ++searchSeq;
    const wanted = checkedServices();
    const params = new URLSearchParams({
      lat: state.point.lat.toFixed(7), lon: state.point.lon.toFixed(7), mode: state.mode,
      limit: String(wanted.length > 1 ? WIDE_LIMIT : LIMIT),
    });
    if (wanted.length) params.set("service", wanted[0]);
    if ($("open-now").checked) params.set("open_now", "1");
    message(T("working"));
    list.setAttribute("aria-busy", "true");
    let data;
    try {
      data = await getJSON(`/api/v1/stations/nearby?${params}`);
    } catch (error) {
      if (seq !== searchSeq) return;
      list.removeAttribute("aria-busy");
      state.results = [];
      renderResults();
      // 400: the point is off this deployment's streets (the server's message says how far, in English)
      message(error.status === 400 ? `${T("outside_area")} (${error.message})` : error.message, "error");
      return;
    }
    if (seq !== searchSeq) return;  // a newer search is under way
    list.removeAttribute("aria-busy");
    state.results = data.stations.filter((s) => wanted.every((code) => s.services.includes(code))).slice(0, LIMIT);
    if (data.area && data.area !== state.area) {
      await useArea(data.area);
      drawHere();
      fit = "results";
    }
    drawStations();
    renderResults();
    if (!state.stations.length) message(T("no_stations"), "error");
    else if (!state.results.length) message(T("no_results"), "error");
    else message(T("results_from"), "ok");
    fitResults(fit);
    if (routeLayer.getLayers().length) {  // a route is drawn: refresh its minutes, or drop it if filtered out
      if (state.results.some((s) => s.id === state.selected)) await showRoute(state.selected, false);
      else routeLayer.clearLayers();
    }
  }

  function renderResults() {
    list.replaceChildren();
    for (const station of state.results) {
      const item = node("li", "station");
      item.dataset.stationId = station.id;
      item.dataset.distanceM = station.distance_m;
      item.dataset.services = station.services.join(" ");
      item.dataset.open = station.open_now ? "1" : "0";
      item.tabIndex = 0;
      item.setAttribute("role", "button");
      if (station.id === state.selected) item.classList.add("selected");

      const head = node("div", "st-head");
      head.append(node("span", "st-name", stationName(station)));
      const badge = node("span", `open-badge ${station.open_now ? "open" : "closed"}`,
                         station.open_now ? T("badge_open") : T("badge_closed"));
      head.append(badge);
      item.append(head);

      const meta = node("div", "st-meta");
      meta.append(node("span", "distance", distanceText(station.distance_m)), " · ",
                  node("span", "minutes", `${T(`mode_${state.mode}`)} ${minutesText(station.minutes)}`), " · ",
                  node("span", "hours", hoursText(station.hours)));
      item.append(meta);

      if (station.services.length) {
        const services = node("div", "st-services");
        for (const code of station.services) {
          const label = node("span", "svc", serviceName(code));
          label.dataset.service = code;
          services.append(label);
        }
        item.append(services);
      }
      if (station.address || station.district) {
        item.append(node("div", "st-address", [station.district, station.address].filter(Boolean).join(" · ")));
      }
      if (station.phone) {
        const phone = node("a", "phone", `☎ ${station.phone}`);
        // the first number of several (0791-86281234、12345), without its extension: what a phone dials
        const first = station.phone.split(/[、,;/]|或/)[0].split(/转|ext|x|#/i)[0];
        phone.href = `tel:${first.replace(/[^\d+]/g, "")}`;
        phone.setAttribute("aria-label", `${T("call")} ${station.phone}`);
        phone.addEventListener("click", (event) => event.stopPropagation());
        item.append(phone);
      }
      item.addEventListener("click", () => selectStation(station.id));
      item.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); selectStation(station.id); }
      });
      list.append(item);
    }
  }

  function markSelected() {
    for (const item of list.querySelectorAll("li.station")) {
      item.classList.toggle("selected", Number(item.dataset.stationId) === state.selected);
    }
    drawStations();
  }

  async function selectStation(id) {
    await started;
    state.selected = id;
    markSelected();
    const station = state.byId.get(id);
    if (!state.point) {  // nowhere to route from: show the station
      if (map && station) map.setView([station.lat, station.lon], Math.max(map.getZoom(), 17));
      message(T("near_hint"));
      return;
    }
    await showRoute(id, true);
  }

  async function showRoute(id, fit) {
    const seq = ++routeSeq;
    const params = new URLSearchParams({ lat: state.point.lat.toFixed(7), lon: state.point.lon.toFixed(7),
                                         mode: state.mode });
    let feature;
    try {
      feature = await getJSON(`/api/v1/stations/${encodeURIComponent(id)}/route?${params}`);
    } catch (error) {
      if (seq === routeSeq) message(error.message, "error");
      return;
    }
    if (seq !== routeSeq || !map) return;
    await ready;
    routeLayer.clearLayers();
    const line = L.polyline(feature.geometry.coordinates.map(([lon, lat]) => [lat, lon]), {
      renderer: routeRenderer, className: "route-line", color: "#b3261e", weight: 6, opacity: 0.9,
      lineCap: "round", lineJoin: "round", interactive: false,
    });
    routeLayer.addLayer(line);
    if (fit) {
      map.fitBounds(line.getBounds(), { padding: [40, 40], maxZoom: 18 });
      collapseSheet();
    }
    const station = state.byId.get(id) || state.results.find((s) => s.id === id) || { id };
    const { distance_m: metres, minutes } = feature.properties;
    message(`${T("route_to")} ${stationName(station)}: ${distanceText(metres)} · ${T(`mode_${state.mode}`)} `
            + `${minutesText(minutes)}`, "ok");
  }

  // --- position from GPS, a tap, or a typed place --------------------------------------------------------------

  function locate() {
    if (!("geolocation" in navigator) || !window.isSecureContext) {
      message(T("geo_unsupported"), "error");
      return;
    }
    message(T("locating"));
    navigator.geolocation.getCurrentPosition(
      (position) => setPoint(position.coords.latitude, position.coords.longitude),
      (error) => message(error.code === error.PERMISSION_DENIED ? T("geo_denied") : T("geo_unavailable"), "error"),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  }

  const squash = (text) => (text || "").toLowerCase().replace(/[\s·,，、()（）-]+/g, "");

  /* Match a typed place against station names, addresses and district names (no geocoder: it all stays here). */
  function findPlace(text) {
    const query = squash(text);
    if (!query) return null;
    const stations = state.stations;
    const tests = [
      (s) => squash(s.name) === query,
      (s) => squash(s.name).includes(query) || (squash(s.name) && query.includes(squash(s.name))),
      (s) => squash(s.address) === query,
      (s) => squash(s.address).includes(query),
    ];
    for (const test of tests) {
      const found = stations.find(test);
      if (found) return { station: found };
    }
    const districts = [...new Set(stations.map((s) => s.district).filter(Boolean))];
    const district = districts.find((d) => squash(d) === query)
      || districts.find((d) => squash(d).includes(query) || query.includes(squash(d)));
    if (district) return { district, stations: stations.filter((s) => s.district === district) };
    return null;
  }

  async function goToPlace(event) {
    event.preventDefault();
    await started;
    const text = $("place-input").value;
    const found = findPlace(text);
    if (!found) {
      message(text.trim() ? `${T("place_not_found")}: ${text.trim()}` : T("near_hint"), "error");
      return;
    }
    $("place-input").blur();
    if (found.station) {
      const s = found.station;
      if (s.area !== state.area) await useArea(s.area);
      await setPoint(s.lat, s.lon, { fit: "centre", station: s.id });
      return;
    }
    const mine = found.stations;
    if (mine[0].area !== state.area) await useArea(mine[0].area);
    const lat = mine.reduce((sum, s) => sum + s.lat, 0) / mine.length;
    const lon = mine.reduce((sum, s) => sum + s.lon, 0) / mine.length;
    await setPoint(lat, lon, { fit: "results" });
  }

  function fillPlaces() {
    const names = new Set();
    for (const s of state.stations) {
      if (s.name) names.add(s.name);
      if (s.district) names.add(s.district);
    }
    $("place-options").replaceChildren(...[...names].sort().map((name) => {
      const option = document.createElement("option");
      option.value = name;
      return option;
    }));
  }

  // --- controls ------------------------------------------------------------------------------------------------

  function setMode(mode) {
    state.mode = mode;
    for (const button of document.querySelectorAll("[data-mode]")) {
      const on = button.dataset.mode === mode;
      button.setAttribute("aria-checked", on ? "true" : "false");
      button.classList.toggle("on", on);
    }
    if (state.point) search("none");
  }

  function collapseSheet() { toggleSheet(false); }

  function toggleSheet(open) {
    const sheet = $("sheet");
    const button = $("sheet-toggle");
    const expanded = open === undefined ? !sheet.classList.contains("expanded") : open;
    sheet.classList.toggle("expanded", expanded);
    button.setAttribute("aria-expanded", expanded ? "true" : "false");
    button.textContent = expanded ? button.dataset.less : button.dataset.more;
  }

  function wire() {
    $("locate").addEventListener("click", locate);
    $("place-form").addEventListener("submit", goToPlace);
    $("mode-walk").addEventListener("click", () => setMode("walk"));
    $("mode-ride").addEventListener("click", () => setMode("ride"));
    $("sheet-toggle").addEventListener("click", () => toggleSheet());
    for (const box of document.querySelectorAll("input.service-filter, #open-now")) {
      box.addEventListener("change", () => {
        box.closest(".chip").classList.toggle("on", box.checked);
        drawStations();
        if (state.point) search("none");
      });
    }
    if (window.ResizeObserver) new ResizeObserver(() => { if (map) map.invalidateSize(); }).observe(mapBox);
    setMode("walk");
  }

  async function start() {
    let data;
    try {
      data = await getJSON("/api/v1/stations");
    } catch (error) {
      message(`${T("load_failed")}: ${error.message}`, "error");
      return;
    }
    state.stations = data.stations;
    state.byId = new Map(data.stations.map((s) => [s.id, s]));
    fillPlaces();
    if (!data.stations.length) {
      message(T("no_stations"), "error");
      return;
    }
    const counts = new Map();
    for (const s of data.stations) counts.set(s.area, (counts.get(s.area) || 0) + 1);
    const area = [...counts].sort((a, b) => b[1] - a[1])[0][0];
    await useArea(area);
    drawStations();
    mapBox.dataset.ready = "1";
  }

  wire();
  const started = start();
})();
