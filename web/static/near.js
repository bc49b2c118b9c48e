/* "Stations near me": a worker gives a position (GPS, a tap on the map, or a typed place: a station, metro station,
   street, bank... found in the area's offline gazetteer, /api/v1/places), and sees the nearest published rest
   stations along the streets, with their services, hours and a route. Only a station whose status is open and whose
   hours cover this moment is shown as open; when no station is within the 15-minute circle the page says so.
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
    circle: null,       // the 15-minute circle of the last search: {minutes, metres, mode}
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

  /* The badge tells the truth: open only when the status is open and the stated hours cover now; a station that
     states no hours says so, one that is not open says its status (规划中, 暂停开放...). */
  function badgeOf(station) {
    if (station.status !== "open") return ["closed", T(`details_status_${station.status}`)];
    if (!station.hours) return ["unknown", T("hours_unknown")];
    if (station.open_now) return ["open", T("badge_open")];
    return ["closed", T("badge_outside_hours")];
  }

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
    if (station.status !== "open" || !station.hours) classes.push("unknown");
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
    state.circle = data.circle;
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

  /* Say plainly when no listed station is within the 15-minute circle (the server's threshold, at the mode's speed). */
  function renderCircle() {
    const note = $("circle-note");
    const circle = state.circle;
    const none = state.results.length > 0 && circle && !state.results.some((s) => s.within_15_min);
    note.hidden = !none;
    note.dataset.within = none ? "0" : "1";
    if (none) {
      note.textContent = GeoMap.fill("circle_none", {
        minutes: circle.minutes, mode: T(`circle_mode_${circle.mode}`), metres: distanceText(circle.metres),
      });
    }
  }

  function renderResults() {
    renderCircle();
    list.replaceChildren();
    for (const station of state.results) {
      const item = node("li", "station");
      item.dataset.stationId = station.id;
      item.dataset.distanceM = station.distance_m;
      item.dataset.services = station.services.join(" ");
      item.dataset.open = station.open_now ? "1" : "0";
      item.dataset.within = station.within_15_min ? "1" : "0";
      item.tabIndex = 0;
      item.setAttribute("role", "button");
      if (station.id === state.selected) item.classList.add("selected");

      const head = node("div", "st-head");
      head.append(node("span", "st-name", stationName(station)));
      const [badgeClass, badgeText] = badgeOf(station);
      const badge = node("span", `open-badge ${badgeClass}`, badgeText);
      badge.dataset.status = station.status;
      head.append(badge);
      item.append(head);

      const meta = node("div", "st-meta");
      meta.append(node("span", "distance", distanceText(station.distance_m)), " · ",
                  node("span", "minutes", `${T(`mode_${state.mode}`)} ${minutesText(station.minutes)}`), " · ",
                  node("span", "hours", hoursText(station.hours)));
      if (state.circle && !station.within_15_min) {
        meta.append(" · ", node("span", "outside-circle", GeoMap.fill("circle_outside",
                                                                      { minutes: state.circle.minutes })));
      }
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

  const squash = (text) => (text || "").normalize("NFKC").toLowerCase().replace(/[\s·,，、()（）-]+/g, "");

  /* Stations whose name or address holds the text, ranked exact > prefix > substring (names before addresses). */
  function matchStations(text) {
    const query = squash(text);
    if (!query) return [];
    const rank = (value) => {
      const key = squash(value);
      if (!key) return null;
      if (key === query) return 0;
      if (key.startsWith(query)) return 1;
      return key.includes(query) ? 2 : null;
    };
    const found = [];
    for (const station of state.stations) {
      const byName = rank(station.name);
      const byAddress = rank(station.address);
      const best = byName !== null ? byName : (byAddress !== null ? byAddress + 0.5 : null);
      if (best !== null) found.push({ rank: best, station });
    }
    return found.sort((a, b) => a.rank - b.rank).map((f) => ({ kind: "station", match: f.rank === 0 ? "exact" : "",
                                                                station: f.station }));
  }

  /* Places of the area's gazetteer (streets, metro stations, bus stops, banks, districts) matching the text. */
  async function matchPlaces(text) {
    const params = new URLSearchParams({ q: text.trim(), limit: "8" });
    if (state.area) params.set("area", state.area);
    const data = await getJSON(`/api/v1/places?${params}`);
    return data.places.map((place) => ({ kind: place.kind, match: place.match, place }));
  }

  function pickList() { return $("place-results"); }

  function clearPicks() {
    pickList().replaceChildren();
    pickList().hidden = true;
  }

  /* Offer what was found: stations first, then places; each a button (text set with textContent, never HTML). */
  function offer(found) {
    const box = pickList();
    box.replaceChildren(node("li", "pick-title", T("places_pick")));
    for (const hit of found) {
      const item = node("li", "pick");
      const button = node("button", `pick-button kind-${hit.kind}`);
      button.type = "button";
      const name = hit.station ? stationName(hit.station) : hit.place.name;
      const where = hit.station ? (hit.station.district || hit.station.address) : hit.place.district;
      button.append(node("span", "pick-kind", T(`place_kind_${hit.kind}`)), " ", node("span", "pick-name", name));
      if (hit.place && hit.place.other_name && hit.place.other_name !== name) {
        button.append(" ", node("span", "pick-other", hit.place.other_name));
      }
      if (where) button.append(" ", node("span", "pick-where", where));
      button.dataset.kind = hit.kind;
      button.addEventListener("click", () => pick(hit));
      item.append(button);
      box.append(item);
    }
    box.hidden = false;
  }

  async function pick(hit) {
    clearPicks();
    $("place-input").blur();
    if (hit.station) {
      const s = hit.station;
      if (s.area !== state.area) await useArea(s.area);
      await setPoint(s.lat, s.lon, { fit: "centre", station: s.id });
      return;
    }
    const place = hit.place;
    if (place.area !== state.area && state.stations.some((s) => s.area === place.area)) await useArea(place.area);
    await setPoint(place.lat, place.lon, { fit: "results" });
    if (state.results.length) message(GeoMap.fill("near_place", { name: place.name }), "ok");
  }

  async function goToPlace(event) {
    event.preventDefault();
    await started;
    const text = $("place-input").value.trim();
    if (!text) {
      clearPicks();
      message(T("near_hint"), "error");
      return;
    }
    const stations = matchStations(text);
    if (stations.length && stations[0].match === "exact") {  // the station itself: go there
      await pick(stations[0]);
      return;
    }
    let places = [];
    let refused = "";
    try {
      places = await matchPlaces(text);
    } catch (error) {
      // A refused query (the server's message, in the page's language) or no network: the stations this page
      // already holds are still searched.
      refused = error.message;
    }
    const found = [...stations.slice(0, 5), ...places];
    if (!found.length) {
      clearPicks();
      message(refused || `${T("place_not_found")}: ${text}`, "error");
      return;
    }
    if (found.length === 1) {
      await pick(found[0]);
      return;
    }
    offer(found);
    message(T("places_pick"));
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
