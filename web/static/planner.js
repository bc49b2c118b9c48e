/* The review map of one scenario: decide on sites, move them, re-optimise, undo, import existing stations; a legend,
   district labels shaded by coverage, and a search over site numbers, station names and street names.

   Other scripts of the page talk to this one through two document events: "geoplan:scenario" (detail: a scenario as
   the API returns it) makes the map show that scenario in place; after every redraw this script dispatches
   "geoplan:shown" with the scenario it shows. The map itself is #review's geoplanMap (observed.js draws its preview
   layer on it). */
"use strict";

(() => {
  const root = document.getElementById("review");
  const id = root.dataset.scenarioId;
  const planner = root.dataset.planner === "1";
  const T = GeoMap.T;
  const narrow = window.matchMedia("(max-width: 800px)");
  const map = GeoMap.create("map", root.dataset.area, JSON.parse(root.dataset.layers));
  root.geoplanMap = map;
  const districtLayer = L.geoJSON(null, { style: districtStyle, interactive: false }).addTo(map);
  const labelLayer = L.layerGroup().addTo(map);
  const demandStyle = (f, latlng) => L.circleMarker(latlng, {
    radius: Math.min(2 + Math.sqrt(f.properties.weight || 0), 8), weight: 0,
    fillColor: f.properties.covered ? "#2da44e" : "#e5534b", fillOpacity: 0.55,
  });
  const demandGroups = {};  // one layer per worker group, switchable in the layer control
  const candidateLayer = L.geoJSON(null, {
    pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 2, weight: 0, fillColor: "#666", fillOpacity: 0.6 }),
  });
  const siteLayer = L.layerGroup().addTo(map);
  const removedLayer = L.layerGroup().addTo(map);  // where the last re-optimisation took proposals away
  // The layers control puts its names into the page as HTML: every name goes through GeoMap.escape.
  const layerControl = L.control.layers(null, {
    [GeoMap.escape(T("districts"))]: districtLayer, [GeoMap.escape(T("candidates"))]: candidateLayer,
    [GeoMap.escape(T("sites"))]: siteLayer,
  }, { collapsed: window.innerWidth < 1400 }).addTo(map);
  const buttons = () => [...root.querySelectorAll("aside button, aside input[type=submit]")];
  let scenario = null;
  let changes = {};  // site number -> "added" | "kept", from the last re-optimisation, until the next change
  const markers = {};  // site id -> marker

  // --- districts: shading by the share of their workers covered, and a label with that share -----------------------

  function shareColour(share) {
    if (share === undefined || share === null) return "#bbbbbb";
    const hue = Math.round(120 * Math.max(0, Math.min(1, share)));  // red (0 %) to green (100 %)
    return `hsl(${hue}, 70%, 45%)`;
  }

  function districtStyle(feature) {
    const row = scenario && scenario.figures && scenario.figures.by_district[feature.properties.district];
    return { color: "#555", weight: 1.5, dashArray: "4 3", fillColor: shareColour(row && row.share), fillOpacity: 0.18 };
  }

  function drawDistricts() {
    districtLayer.setStyle(districtStyle);
    labelLayer.clearLayers();
    const figures = (scenario && scenario.figures && scenario.figures.by_district) || {};
    districtLayer.eachLayer((layer) => {
      const name = layer.feature.properties.district;
      const row = figures[name];
      const label = GeoMap.node("span", "district-label-text", GeoMap.fill("district_label",
        { name, share: row ? GeoMap.pct(row.share) : "–" }));
      label.dataset.district = name;
      if (row) label.dataset.share = row.share;
      // Inside the part of the district the study area covers (the server's point), not its far-off centre.
      const at = layer.feature.properties.label;
      L.tooltip({ permanent: true, direction: "center", className: "district-label", interactive: false })
        .setLatLng(at ? [at[1], at[0]] : layer.getBounds().getCenter()).setContent(label).addTo(labelLayer);
    });
  }

  // --- the legend --------------------------------------------------------------------------------------------------

  function legend() {
    const control = L.control({ position: "bottomleft" });
    control.onAdd = () => {
      const box = GeoMap.node("details", "map-legend leaflet-control");
      box.id = "legend";
      box.open = !narrow.matches;
      box.appendChild(GeoMap.node("summary", "", T("legend")));
      const row = (swatch, text, key) => {
        const item = GeoMap.node("div", "legend-row");
        item.dataset.key = key;
        item.append(swatch, GeoMap.node("span", "", text));
        box.appendChild(item);
      };
      for (const status of ["proposed", "accepted", "rejected", "existing"]) {
        row(GeoMap.node("span", `legend-marker legend-swatch ${status}`), T(status), status);
      }
      row(GeoMap.node("span", "legend-marker legend-swatch proposed city"), T("legend_city"), "city");
      row(GeoMap.node("span", "legend-marker legend-swatch proposed added"), T("legend_added"), "added");
      row(GeoMap.node("span", "legend-swatch removed-marker"), T("legend_removed"), "removed");
      row(GeoMap.node("span", "legend-dot covered"), T("legend_covered"), "covered");
      row(GeoMap.node("span", "legend-dot uncovered"), T("legend_uncovered"), "uncovered");
      row(GeoMap.node("span", "legend-dot candidate"), T("legend_candidate"), "candidate");
      const scale = GeoMap.node("span", "legend-scale");
      for (const share of [0, 0.25, 0.5, 0.75, 1]) {
        const step = GeoMap.node("span", "legend-step", GeoMap.pct(share).replace(".0", ""));
        step.style.background = shareColour(share);
        scale.appendChild(step);
      }
      row(scale, T("legend_shading"), "shading");
      // Capacitated scenarios only (shown by showCapacity): the ring of a station by its busiest window's utilisation.
      const ring = GeoMap.node("span", "legend-title", T("legend_utilisation"));
      row(ring, "", "utilisation");
      for (const level of ["low", "high", "full"]) {
        row(GeoMap.node("span", `legend-marker legend-swatch util-${level}`), T(`legend_util_${level}`), `util_${level}`);
      }
      for (const item of box.querySelectorAll(".legend-row[data-key^='util']")) item.hidden = true;
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    return control;
  }
  legend().addTo(map);

  // --- loading and showing ---------------------------------------------------------------------------------------

  async function load() {
    const [[data, districts]] = await GeoMap.busy("progress_opening", () => Promise.all([
      GeoMap.api("GET", `/api/planner/scenarios/${id}`),
      GeoMap.api("GET", `/api/planner/scenarios/${id}/districts`),
    ]), buttons()).then((done) => {
      if (done[1] >= 2) GeoMap.message(GeoMap.fill("progress_done", { what: T("progress_opening"), s: done[1].toFixed(1) }), "ok");
      else GeoMap.message("", "");
      return done;
    });
    districtLayer.addData(districts);
    GeoMap.api("GET", `/api/planner/scenarios/${id}/candidates`).then((c) => candidateLayer.addData(c));
    show(data);
  }

  async function refreshDemand() {
    const demand = await GeoMap.api("GET", `/api/planner/scenarios/${id}/demand`);
    for (const layer of Object.values(demandGroups)) layer.clearLayers();
    for (const feature of demand.features) {
      const group = feature.properties.group;
      if (!demandGroups[group]) {
        demandGroups[group] = L.geoJSON(null, { pointToLayer: demandStyle }).addTo(map);
        layerControl.addOverlay(demandGroups[group], GeoMap.escape(`${T("demand")}: ${GeoMap.groupName(group)}`));
      }
      demandGroups[group].addData(feature);
    }
    siteLayer.eachLayer((m) => m.setZIndexOffset(1000));
  }

  // How sure the optimiser is of the plan: the status's label, and what it means (certified gap quoted) as a hint.
  function showStatus(result) {
    const element = document.getElementById("scenario-status");
    const status = result.status;
    element.dataset.status = status || "";
    if (!status) { element.textContent = ""; element.title = ""; return; }
    element.textContent = T(`solve_status_${status}`);
    const note = T(`solve_status_note_${status}`);
    element.title = note === `solve_status_note_${status}` ? "" : note.replace("{gap}", GeoMap.pct(result.gap || 0));
  }

  function show(data) {
    scenario = data;
    document.getElementById("scenario-version").textContent = data.version;
    document.getElementById("scenario-name").textContent = data.name;
    const gap = data.result && data.result.gap;
    document.getElementById("scenario-gap").textContent = gap === undefined ? "–" : GeoMap.pct(gap);
    showStatus(data.result || {});
    showCapacity(Boolean(data.figures && data.figures.capacity));
    drawSites();
    drawFigures(data.figures);
    drawDistricts();
    drawData(data.user_data || {});
    refreshDemand().catch((error) => GeoMap.message(error.message, "error"));
    document.dispatchEvent(new CustomEvent("geoplan:shown", { detail: data }));
  }

  document.addEventListener("geoplan:scenario", (event) => {
    forgetChanges();
    show(event.detail);
  });

  function drawData(data) {
    const list = document.getElementById("data-files");
    list.replaceChildren();
    const entries = [
      ...(data.layers || []).map((layer) => [T("data_layer"), layer]),
      ...(data.sites ? [[T("data_sites"), data.sites]] : []),
      ...(data.existing ? [[T("data_existing"), data.existing]] : []),
    ];
    if (!entries.length) entries.push([T("data_none"), null]);
    for (const [what, file] of entries) {
      const item = document.createElement("li");
      item.textContent = file ? `${what}: ${file.source} (${T("data_points").replace("{n}", file.points)})` : what;
      if (file && file.observed) {  // a layer built from a firm's observations: from what, and the privacy cut
        item.dataset.observed = file.observed.kind;
        item.textContent += ` · ${GeoMap.fill("data_observed", { kind: T(`observed_kind_${file.observed.kind}`),
          share: GeoMap.pct(file.observed.privacy_suppressed_share) })}`;
      }
      list.appendChild(item);
    }
  }

  // A capacitated scenario shows the utilisation legend and the "served" columns; any other hides them.
  function showCapacity(on) {
    for (const item of document.querySelectorAll("#legend .legend-row[data-key^='util']")) item.hidden = !on;
    for (const cell of document.querySelectorAll(".served-col")) cell.hidden = !on;
  }

  function drawFigures(f) {
    const capacitated = Boolean(f.capacity);
    let total = `${GeoMap.num(f.workers.covered)} / ${GeoMap.num(f.workers.total)} (${GeoMap.pct(f.workers.share)})`;
    if (capacitated) total += ` · ${GeoMap.fill("served_total", { served: GeoMap.num(f.workers.served), share: GeoMap.pct(f.workers.served_share) })}`;
    document.getElementById("covered-total").textContent = total;
    const d = document.querySelector("#by-district tbody");
    d.replaceChildren();
    for (const [name, r] of Object.entries(f.by_district)) {
      const tr = d.insertRow();
      tr.dataset.district = name;
      for (const v of [name, r.stations, GeoMap.num(r.workers), GeoMap.num(r.covered), GeoMap.pct(r.share)]) tr.insertCell().textContent = v;
      if (capacitated) servedCell(tr, r);
    }
    const g = document.querySelector("#by-group tbody");
    g.replaceChildren();
    for (const [name, r] of Object.entries(f.by_group)) {
      const tr = g.insertRow();
      tr.dataset.group = name;
      for (const v of [GeoMap.groupName(name), GeoMap.num(r.workers), GeoMap.num(r.covered), GeoMap.pct(r.share)]) tr.insertCell().textContent = v;
      if (capacitated) servedCell(tr, r);
    }
  }

  function servedCell(tr, r) {
    const cell = tr.insertCell();
    cell.className = "served-col";
    cell.textContent = GeoMap.served(r);
    tr.dataset.served = r.served;
  }

  function openSite(site) {
    map.setView([site.lat, site.lon], Math.max(map.getZoom(), 16));
    const marker = markers[site.id];
    if (marker) marker.openPopup();
  }

  function drawSites() {
    siteLayer.clearLayers();
    for (const key of Object.keys(markers)) delete markers[key];
    const list = document.querySelector("#site-list tbody");
    list.replaceChildren();
    for (const site of scenario.sites) {
      const movable = planner && site.status !== "existing";
      const change = changes[site.number];
      const marker = L.marker([site.lat, site.lon], { icon: GeoMap.siteIcon(site, change), draggable: movable, keyboard: false });
      marker.bindPopup(() => popup(site));
      marker.on("dragend", () => {
        const p = marker.getLatLng();
        act(site, "move", { lon: p.lng, lat: p.lat }).catch(() => marker.setLatLng([site.lat, site.lon]));
      });
      marker.addTo(siteLayer);
      markers[site.id] = marker;
      const tr = list.insertRow();
      tr.dataset.siteId = site.id;
      tr.dataset.number = site.number === null || site.number === undefined ? "" : site.number;
      tr.dataset.status = site.status;
      if (change) tr.dataset.change = change;
      tr.insertCell().textContent = GeoMap.siteNumber(site);
      tr.insertCell().textContent = site.district || "";
      tr.insertCell().textContent = T(site.status) + (site.city_level ? ` · ${T("city_level")}` : "")
        + (change === "added" ? ` · ${T("added")}` : "")
        + (typeof site.utilisation === "number" ? ` · ${T("utilisation")} ${GeoMap.pct(site.utilisation)}` : "");
      tr.insertCell().textContent = site.name || site.candidate_id || "";
      tr.addEventListener("click", () => openSite(site));
    }
  }

  function popup(site) {
    const box = document.createElement("div");
    box.className = "site-popup";
    box.dataset.siteId = site.id;
    const title = document.createElement("b");
    title.textContent = `${GeoMap.siteNumber(site)} ${site.name || ""} · ${T(site.status)}${site.city_level ? " · " + T("city_level") : ""}`;
    box.appendChild(title);
    const info = document.createElement("div");
    info.textContent = `${site.district || ""} ${site.covered_workers ? "· " + GeoMap.num(site.covered_workers) + " " + T("workers") : ""}`;
    box.appendChild(info);
    if (typeof site.utilisation === "number") box.appendChild(capacityLines(site));
    else if (typeof site.declared_capacity === "number") {  // not planned for capacity: what the planner declared
      const declared = GeoMap.node("div", "site-capacity", `${T("declared_capacity")}: `
        + GeoMap.fill("declared_capacity_value", { n: GeoMap.num(site.declared_capacity) }));
      declared.dataset.field = "declared_capacity";
      box.appendChild(declared);
    }
    if (!planner) return box;
    const choices = [];
    if (site.status !== "existing") {
      if (site.status !== "accepted") choices.push(["accept", T("accept"), {}]);
      if (site.status !== "rejected") choices.push(["reject", T("reject"), {}]);
      if (site.status !== "proposed") choices.push(["propose", T("undo"), {}]);
    }
    choices.push(["city_level", site.city_level ? T("unset_city_level") : T("set_city_level"), { city_level: !site.city_level }]);
    for (const [action, label, extra] of choices) {
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.action = action;
      b.textContent = label;
      b.addEventListener("click", () => { map.closePopup(); act(site, action, extra); });
      box.appendChild(b);
    }
    return box;
  }

  // A station's capacity, its load in its busiest window and its utilisation (capacitated scenarios).
  function capacityLines(site) {
    const box = GeoMap.node("div", "site-capacity");
    box.dataset.utilisation = site.utilisation;
    const line = (key, text) => {
      const item = GeoMap.node("div", "", `${T(key)}: ${text}`);
      item.dataset.field = key;
      box.appendChild(item);
    };
    line("capacity", GeoMap.fill("capacity_value", { n: GeoMap.num(site.capacity), m2: site.size_m2 })
      + (site.enlarged ? ` · ${T("capacity_enlarged")}` : "")
      + (typeof site.declared_capacity === "number" ? ` · ${T("capacity_declared")}` : ""));
    line("peak_load", GeoMap.fill("peak_load_value", { load: GeoMap.num(site.peak_load),
      capacity: GeoMap.num(site.capacity_per_hour), window: site.peak_window || "–" }));
    line("utilisation", GeoMap.pct(site.utilisation));
    const level = GeoMap.utilisationLevel(site.utilisation);
    if (level) box.lastChild.className = `util-text util-${level}`;
    return box;
  }

  // --- what a re-optimisation changed, and why its gap is what it is -----------------------------------------------

  function forgetChanges() {
    changes = {};
    removedLayer.clearLayers();
    const box = document.getElementById("reopt-summary");
    if (box) { box.hidden = true; box.replaceChildren(); }
  }

  function whyText(reason) {
    const pct = (x) => (x === undefined || x === null ? "–" : GeoMap.pct(x));
    if (reason.code === "gap_change") {
      return GeoMap.fill("why_gap_change", { before: pct(reason.before), after: pct(reason.after),
        status: T(`solve_status_${reason.status}`) });
    }
    if (reason.code === "time_limit") {
      return GeoMap.fill("why_time_limit", { limit: reason.limit, seconds: Number(reason.seconds || 0).toFixed(1) });
    }
    if (reason.code === "shorter") return GeoMap.fill("why_shorter", { first: reason.first, limit: reason.limit });
    if (reason.code === "fixed") return GeoMap.fill("why_fixed", { n: reason.n, r: reason.r });
    if (reason.code === "rules") {
      const names = { district_min: "why_rule_district_min", spacing: "why_rule_spacing", city: "why_rule_city",
        max_gap: "why_rule_max_gap", target: "why_rule_target", "24h": "why_rule_24h" };
      const rules = reason.rules.map((r) => GeoMap.fill(names[r.rule],
        { n: r.rule === "target" ? GeoMap.pct(r.n) : GeoMap.num(r.n) }));
      return GeoMap.fill("why_rules", { rules: rules.join("、") });
    }
    return "";
  }

  function showReoptimised(before, data) {
    const done = data.reoptimised || { added: [], removed: [], kept: [], why: [] };
    changes = {};
    for (const number of done.kept) changes[number] = "kept";
    for (const number of done.added) changes[number] = "added";
    removedLayer.clearLayers();
    for (const site of before.sites) {
      if (!done.removed.includes(site.number)) continue;
      const ring = GeoMap.node("div", "removed-marker");
      ring.dataset.number = site.number;
      ring.title = `${GeoMap.siteNumber(site)} · ${T("removed")}`;
      L.marker([site.lat, site.lon], { icon: L.divIcon({ className: "", html: ring, iconSize: [16, 16], iconAnchor: [8, 8] }),
        interactive: false, keyboard: false }).addTo(removedLayer);
    }
    const box = document.getElementById("reopt-summary");
    box.replaceChildren();
    const numbers = (list) => list.map((n) => `#${n}`).join(" ");
    box.appendChild(GeoMap.node("b", "", GeoMap.fill("reopt_summary",
      { kept: done.kept.length, added: done.added.length, removed: done.removed.length })));
    if (done.added.length) box.appendChild(GeoMap.node("div", "reopt-added", GeoMap.fill("reopt_numbers_added", { list: numbers(done.added) })));
    if (done.removed.length) box.appendChild(GeoMap.node("div", "reopt-removed", GeoMap.fill("reopt_numbers_removed", { list: numbers(done.removed) })));
    box.appendChild(GeoMap.node("div", "why-title", T("why_title")));
    const list = GeoMap.node("ul", "why");
    for (const reason of done.why || []) {
      const item = GeoMap.node("li", "", whyText(reason));
      item.dataset.why = reason.code;
      list.appendChild(item);
    }
    box.appendChild(list);
    box.hidden = false;
  }

  // --- changes -------------------------------------------------------------------------------------------------------

  async function act(site, action, extra) {
    GeoMap.message(T("working"), "busy");
    try {
      const data = await GeoMap.api("POST", `/api/planner/scenarios/${id}/sites/${site.id}`,
        Object.assign({ action, version: scenario.version }, extra));
      forgetChanges();
      show(data);
      GeoMap.message(action === "move" ? T("moved") : T("saved"), "ok");
    } catch (error) {
      GeoMap.message(error.message, "error");
      throw error;
    }
  }

  if (planner) {
    const reoptimise = document.getElementById("reoptimise");
    reoptimise.addEventListener("click", async () => {
      const before = scenario;
      try {
        const [data, seconds] = await GeoMap.busy("progress_reoptimising",
          () => GeoMap.api("POST", `/api/planner/scenarios/${id}/reoptimise`, { version: scenario.version }), buttons());
        showReoptimised(before, data);
        show(data);
        GeoMap.message(`${T("saved")} · ${T("gap")} ${GeoMap.pct(data.result.gap)} · ${T(`solve_status_${data.result.status}`)}`
          + ` · ${GeoMap.fill("progress_done", { what: T("reoptimise"), s: seconds.toFixed(1) })}`, "ok");
      } catch (error) { GeoMap.message(error.message, "error"); }
    });
    document.getElementById("undo").addEventListener("click", async () => {
      GeoMap.message(T("working"), "busy");
      try {
        const data = await GeoMap.api("POST", `/api/planner/scenarios/${id}/undo`, { version: scenario.version });
        forgetChanges();
        show(data);
        GeoMap.message(GeoMap.fill("undo_done", { action: T(`action_${data.undone.replace(" ", "_")}`) }), "ok");
      } catch (error) { GeoMap.message(error.message, "error"); }
    });
    // A form that uploads a file into the scenario (the scenario's version is sent along); then shows the answer.
    const uploads = (formId, path, after) => document.getElementById(formId).addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = new FormData(event.target);
      form.append("version", scenario.version);
      GeoMap.message(T("working"), "busy");
      try {
        const data = await GeoMap.api("POST", `/api/planner/scenarios/${id}/${path}`, form);
        forgetChanges();
        show(data);
        if (after) after();
        GeoMap.message(T("saved"), "ok");
      } catch (error) { GeoMap.message(error.message, "error"); }
    });
    uploads("data-form", "data", () => GeoMap.api("GET", `/api/planner/scenarios/${id}/candidates`).then((c) => {
      candidateLayer.clearLayers();
      candidateLayer.addData(c);
    }));
    uploads("import-form", "stations");
  }

  // --- search: site numbers, station names, street names (from the basemap the page already has) ---------------------

  const search = document.getElementById("site-search");
  const results = document.getElementById("search-results");
  let streets = null;  // street name -> bounds
  map.basemapData.streets.then((data) => {
    streets = new Map();
    for (const feature of data.features) {
      const name = feature.properties.name;
      if (!name) continue;
      const bounds = L.geoJSON(feature).getBounds();
      if (streets.has(name)) streets.get(name).extend(bounds);
      else streets.set(name, bounds);
    }
  }).catch(() => { streets = new Map(); });

  function matches(query) {
    const text = query.trim().replace(/^[#＃]/, "").toLowerCase();
    if (!text || !scenario) return [];
    const found = [];
    for (const site of scenario.sites) {
      const number = String(site.number === null || site.number === undefined ? site.id : site.number);
      const name = (site.name || "").toLowerCase();
      if (number === text || (name && name.includes(text))) {
        found.push({ kind: "site", rank: number === text ? 0 : 1, site,
          label: `${GeoMap.siteNumber(site)} ${site.name || ""} · ${T(site.status)}` });
      }
    }
    for (const [name, bounds] of streets || []) {
      if (name.toLowerCase().includes(text)) found.push({ kind: "street", rank: 2, name, bounds, label: `${T("search_street")}: ${name}` });
    }
    return found.sort((a, b) => a.rank - b.rank).slice(0, 12);
  }

  function pick(result) {
    results.replaceChildren();
    results.hidden = true;
    if (result.kind === "site") openSite(result.site);
    else map.fitBounds(result.bounds, { maxZoom: 17 });
  }

  function showMatches() {
    const found = matches(search.value);
    results.replaceChildren();
    results.hidden = !search.value.trim();
    if (!search.value.trim()) return found;
    if (!found.length) results.appendChild(GeoMap.node("li", "search-none", T("search_none")));
    for (const result of found) {
      const item = GeoMap.node("li", `search-result ${result.kind}`);
      const button = GeoMap.node("button", "", result.label);
      button.type = "button";
      button.dataset.kind = result.kind;
      if (result.site) button.dataset.siteId = result.site.id;
      button.addEventListener("click", () => pick(result));
      item.appendChild(button);
      results.appendChild(item);
    }
    return found;
  }

  search.addEventListener("input", showMatches);
  search.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const found = showMatches();
    if (found.length) pick(found[0]);
  });

  // --- phone width: the side panel folds away, the panels start closed ----------------------------------------------

  const toggle = document.getElementById("panel-toggle");
  toggle.addEventListener("click", () => {
    const folded = root.classList.toggle("side-folded");
    toggle.setAttribute("aria-expanded", folded ? "false" : "true");
    setTimeout(() => map.invalidateSize(), 0);
  });
  if (narrow.matches) for (const panel of root.querySelectorAll("details.panel")) panel.open = false;

  load().catch((error) => GeoMap.message(error.message, "error"));
})();
