/* The review map of one scenario: decide on sites, move them, re-optimise, import existing stations. */
"use strict";

(() => {
  const root = document.getElementById("review");
  const id = root.dataset.scenarioId;
  const planner = root.dataset.planner === "1";
  const T = GeoMap.T;
  const map = GeoMap.create("map", root.dataset.area, JSON.parse(root.dataset.layers));
  const districtLayer = L.geoJSON(null, { style: { color: "#555", weight: 1.5, dashArray: "4 3", fill: false }, interactive: false }).addTo(map);
  const demandStyle = (f, latlng) => L.circleMarker(latlng, {
    radius: Math.min(2 + Math.sqrt(f.properties.weight || 0), 8), weight: 0,
    fillColor: f.properties.covered ? "#2da44e" : "#e5534b", fillOpacity: 0.55,
  });
  const demandGroups = {};  // one layer per worker group, switchable in the layer control
  const candidateLayer = L.geoJSON(null, {
    pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 2, weight: 0, fillColor: "#666", fillOpacity: 0.6 }),
  });
  const siteLayer = L.layerGroup().addTo(map);
  // The layers control puts its names into the page as HTML: every name goes through GeoMap.escape.
  const layerControl = L.control.layers(null, {
    [GeoMap.escape(T("districts"))]: districtLayer, [GeoMap.escape(T("candidates"))]: candidateLayer,
    [GeoMap.escape(T("sites"))]: siteLayer,
  }, { collapsed: window.innerWidth < 1400 }).addTo(map);
  let scenario = null;

  async function load() {
    const [data, districts] = await Promise.all([
      GeoMap.api("GET", `/api/planner/scenarios/${id}`),
      GeoMap.api("GET", `/api/planner/scenarios/${id}/districts`),
    ]);
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
    drawSites();
    drawFigures(data.figures);
    drawData(data.user_data || {});
    refreshDemand();
  }

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
      list.appendChild(item);
    }
  }

  function drawFigures(f) {
    document.getElementById("covered-total").textContent =
      `${GeoMap.num(f.workers.covered)} / ${GeoMap.num(f.workers.total)} (${GeoMap.pct(f.workers.share)})`;
    const d = document.querySelector("#by-district tbody");
    d.replaceChildren();
    for (const [name, r] of Object.entries(f.by_district)) {
      const tr = d.insertRow();
      tr.dataset.district = name;
      for (const v of [name, r.stations, GeoMap.num(r.workers), GeoMap.num(r.covered), GeoMap.pct(r.share)]) tr.insertCell().textContent = v;
    }
    const g = document.querySelector("#by-group tbody");
    g.replaceChildren();
    for (const [name, r] of Object.entries(f.by_group)) {
      const tr = g.insertRow();
      tr.dataset.group = name;
      for (const v of [GeoMap.groupName(name), GeoMap.num(r.workers), GeoMap.num(r.covered), GeoMap.pct(r.share)]) tr.insertCell().textContent = v;
    }
  }

  function drawSites() {
    siteLayer.clearLayers();
    const list = document.querySelector("#site-list tbody");
    list.replaceChildren();
    for (const site of scenario.sites) {
      const movable = planner && site.status !== "existing";
      const marker = L.marker([site.lat, site.lon], { icon: GeoMap.siteIcon(site), draggable: movable, keyboard: false });
      marker.bindPopup(() => popup(site));
      marker.on("dragend", () => {
        const p = marker.getLatLng();
        act(site, "move", { lon: p.lng, lat: p.lat }).catch(() => marker.setLatLng([site.lat, site.lon]));
      });
      marker.addTo(siteLayer);
      const tr = list.insertRow();
      tr.dataset.siteId = site.id;
      tr.dataset.status = site.status;
      tr.insertCell().textContent = site.id;
      tr.insertCell().textContent = site.district || "";
      tr.insertCell().textContent = T(site.status) + (site.city_level ? ` · ${T("city_level")}` : "");
      tr.insertCell().textContent = site.name || site.candidate_id || "";
      tr.addEventListener("click", () => { map.setView([site.lat, site.lon], Math.max(map.getZoom(), 16)); marker.openPopup(); });
    }
  }

  function popup(site) {
    const box = document.createElement("div");
    box.className = "site-popup";
    box.dataset.siteId = site.id;
    const title = document.createElement("b");
    title.textContent = `#${site.id} ${site.name || ""} · ${T(site.status)}${site.city_level ? " · " + T("city_level") : ""}`;
    box.appendChild(title);
    const info = document.createElement("div");
    info.textContent = `${site.district || ""} ${site.covered_workers ? "· " + GeoMap.num(site.covered_workers) + " " + T("workers") : ""}`;
    box.appendChild(info);
    if (!planner) return box;
    const buttons = [];
    if (site.status !== "existing") {
      if (site.status !== "accepted") buttons.push(["accept", T("accept"), {}]);
      if (site.status !== "rejected") buttons.push(["reject", T("reject"), {}]);
      if (site.status !== "proposed") buttons.push(["propose", T("undo"), {}]);
    }
    buttons.push(["city_level", site.city_level ? T("unset_city_level") : T("set_city_level"), { city_level: !site.city_level }]);
    for (const [action, label, extra] of buttons) {
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.action = action;
      b.textContent = label;
      b.addEventListener("click", () => { map.closePopup(); act(site, action, extra); });
      box.appendChild(b);
    }
    return box;
  }

  async function act(site, action, extra) {
    GeoMap.message(T("working"), "busy");
    try {
      const data = await GeoMap.api("POST", `/api/planner/scenarios/${id}/sites/${site.id}`,
        Object.assign({ action, version: scenario.version }, extra));
      show(data);
      GeoMap.message(action === "move" ? T("moved") : T("saved"), "ok");
    } catch (error) {
      GeoMap.message(error.message, "error");
      throw error;
    }
  }

  if (planner) {
    document.getElementById("reoptimise").addEventListener("click", async () => {
      GeoMap.message(T("working"), "busy");
      try {
        const data = await GeoMap.api("POST", `/api/planner/scenarios/${id}/reoptimise`, { version: scenario.version });
        show(data);
        GeoMap.message(`${T("saved")} · ${T("gap")} ${GeoMap.pct(data.result.gap)} · ${T(`solve_status_${data.result.status}`)}`, "ok");
      } catch (error) { GeoMap.message(error.message, "error"); }
    });
    // A form that uploads a file into the scenario (the scenario's version is sent along); then shows the answer.
    const uploads = (formId, path, after) => document.getElementById(formId).addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = new FormData(event.target);
      form.append("version", scenario.version);
      GeoMap.message(T("working"), "busy");
      try {
        show(await GeoMap.api("POST", `/api/planner/scenarios/${id}/${path}`, form));
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

  load().catch((error) => GeoMap.message(error.message, "error"));
})();
