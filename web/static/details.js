/* Station details editor of the review map (planners only): click a site in the site list, or "edit details" in
   its map popup, to edit the details the public sees (name, address, phone, manager, host, hours, services, photos,
   station status) and the station's declared capacity (people at once, not public); the #publish button publishes or withdraws the scenario. A saved change is handed to planner.js
   (document event "geoplan:scenario"), which redraws the site in place: no page reload, the map keeps its view. A
   stale change (409) shows the message and reloads only the scenario's data. */
"use strict";

(() => {
  const root = document.getElementById("review");
  const panel = document.getElementById("details-panel");
  if (!root || !panel || root.dataset.planner !== "1") return;
  const id = root.dataset.scenarioId;
  const url = `/api/planner/scenarios/${id}`;
  const T = GeoMap.T;

  // The codes of geoplan.store (HOSTS, SERVICES, STATION_STATUSES); tests/web/test_details_browser.py keeps them equal.
  const HOSTS = ["union", "bank", "post_office", "fuel_station", "shop", "government", "sanitation_depot", "other"];
  const SERVICES = ["drinking_water", "heating_food", "toilet", "rest", "phone_charging", "ebike_charging",
    "air_conditioning", "first_aid", "wifi", "repair_kit", "umbrella", "reading"];
  const STATUSES = ["planned", "building", "open", "suspended", "closed"];
  const TEXT_FIELDS = ["name", "address", "phone", "manager", "hours"];
  const DETAIL_KEYS = [...TEXT_FIELDS, "host", "services", "photos", "station_status", "capacity"];
  /** The capacity the planner declared (the answer's "capacity" is the figures' one in a capacitated scenario). */
  const declaredOf = (site) => (typeof site.declared_capacity === "number" ? site.declared_capacity : null);
  /** A site's details as one text, to tell whether they changed since the form was drawn. */
  const detailsOf = (site) => JSON.stringify(DETAIL_KEYS.map((key) => (key === "capacity" ? declaredOf(site)
    : site[key] || null)));

  /** Interface text, or the fallback when the table has no such key. */
  const label = (key, fallback) => { const text = T(key); return text === key ? fallback : text; };

  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function field(form, name, control, caption) {
    const wrap = element("label", { class: "details-field" });
    wrap.append(element("span", {}, caption || T(`details_${name}`)), control);
    form.appendChild(wrap);
    return control;
  }

  function select(name, codes, value, prefix) {
    const box = element("select", { name, id: `details-${name}` });
    box.appendChild(element("option", { value: "" }, T("details_unset")));
    for (const code of codes) {
      const option = element("option", { value: code }, label(`${prefix}${code}`, code));
      if (code === value) option.selected = true;
      box.appendChild(option);
    }
    return box;
  }

  /** Show a scenario the server answered with on the map (planner.js redraws it in place). */
  function shown(scenario) {
    document.dispatchEvent(new CustomEvent("geoplan:scenario", { detail: scenario }));
    const button = document.getElementById("publish");
    if (button) showPublished(button, scenario.published);
  }

  /** After a stale change: say so, read the current scenario, show it, and reopen the form on it. */
  async function reloadData(error, siteId) {
    GeoMap.message(`${error.message} ${T("details_reloading")}`, "error");
    try {
      const scenario = await GeoMap.api("GET", url);
      shown(scenario);
      if (siteId) render(scenario, siteId);
    } catch (again) { GeoMap.message(again.message, "error"); }
  }

  function failed(error, where, siteId) {
    if (error.status === 409) { reloadData(error, siteId); return; }
    if (where) where.textContent = error.message;
    GeoMap.message(error.message, "error");
  }

  async function show(siteId) {
    let scenario;
    try {
      scenario = await GeoMap.api("GET", url);
    } catch (error) { failed(error); return; }
    render(scenario, siteId);
    panel.scrollIntoView({ block: "nearest" });
  }

  function render(scenario, siteId) {
    const site = scenario.sites.find((s) => String(s.id) === String(siteId));
    if (!site) return;
    panel.replaceChildren();
    const form = element("form", { id: "details-form", class: "stack details-form" });
    form.dataset.siteId = site.id;
    form.dataset.version = scenario.version;
    form.dataset.details = detailsOf(site);
    form.appendChild(element("h2", {}, `${T("details_title")} ${GeoMap.siteNumber(site)}`));
    for (const name of TEXT_FIELDS) {
      const input = element("input", { name, id: `details-${name}`, type: name === "phone" ? "tel" : "text" });
      input.value = site[name] || "";
      if (name === "hours") input.placeholder = T("details_hours_hint");
      field(form, name, input);
      if (name === "manager") field(form, "host", select("host", HOSTS, site.host, "details_host_"));
    }
    const services = element("fieldset", { id: "details-services", class: "details-services" });
    services.appendChild(element("legend", {}, T("details_services")));
    const chosen = new Set(site.services || []);
    for (const code of SERVICES) {
      const box = element("input", { type: "checkbox", name: "services", value: code });
      box.checked = chosen.has(code);
      const item = element("label", { class: "details-service" });
      item.append(box, document.createTextNode(` ${label(`service_${code}`, code)}`));
      services.appendChild(item);
    }
    form.appendChild(services);
    const photos = element("textarea", { name: "photos", id: "details-photos", rows: "3" });
    photos.value = (site.photos || []).join("\n");
    field(form, "photos", photos);
    field(form, "station_status", select("station_status", STATUSES, site.station_status, "details_status_"));
    const capacity = element("input", { name: "capacity", id: "details-capacity", type: "number", min: "1",
      step: "1", inputmode: "numeric" });
    capacity.value = declaredOf(site) === null ? "" : String(declaredOf(site));
    capacity.placeholder = T("details_capacity_hint");
    field(form, "capacity", capacity);
    const save = element("button", { type: "submit", id: "details-save" }, T("details_save"));
    const problem = element("div", { id: "details-error", class: "message error", role: "alert" });
    form.append(save, problem);
    form.addEventListener("submit", (event) => { event.preventDefault(); submit(form, problem); });
    panel.appendChild(form);
  }

  async function submit(form, problem) {
    const data = new FormData(form);
    const details = {};
    for (const name of TEXT_FIELDS) details[name] = (data.get(name) || "").trim() || null;
    details.host = data.get("host") || null;
    details.station_status = data.get("station_status") || null;
    const capacity = (data.get("capacity") || "").trim();  // sent as typed: the server says what is no whole number
    details.capacity = capacity ? (Number.isFinite(Number(capacity)) ? Number(capacity) : capacity) : null;
    details.services = data.getAll("services");
    details.photos = (data.get("photos") || "").split("\n").map((line) => line.trim()).filter(Boolean);
    problem.textContent = "";
    GeoMap.message(T("working"), "busy");
    try {
      const scenario = await GeoMap.api("POST", `${url}/sites/${form.dataset.siteId}/details`,
        { version: Number(form.dataset.version), details });
      shown(scenario);
      render(scenario, form.dataset.siteId);
      GeoMap.message(T("saved"), "ok");
    } catch (error) { failed(error, problem, form.dataset.siteId); }
  }

  function showPublished(button, published) {
    button.dataset.published = published ? "1" : "0";
    button.textContent = published ? T("details_published") : T("details_unpublished");
  }

  const publish = document.getElementById("publish");
  if (publish) {
    publish.addEventListener("click", async () => {
      GeoMap.message(T("working"), "busy");
      try {
        const scenario = await GeoMap.api("GET", url);
        const done = await GeoMap.api("POST", `${url}/publish`,
          { version: scenario.version, published: !scenario.published });
        shown(done);
        GeoMap.message(`${T("saved")} · ${done.published ? T("details_published") : T("details_unpublished")}`, "ok");
      } catch (error) { failed(error); }
    });
  }

  // A click on a row of the site list (planner.js redraws the rows: listen on the table).
  const list = document.getElementById("site-list");
  if (list) {
    list.addEventListener("click", (event) => {
      const row = event.target.closest("tbody tr[data-site-id]");
      if (row) show(row.dataset.siteId);
    });
  }

  // An "edit details" button in every site popup planner.js opens on the map.
  const map = document.getElementById("map");
  if (map && window.MutationObserver) {
    new MutationObserver(() => {
      for (const box of map.querySelectorAll(".site-popup[data-site-id]")) {
        if (box.querySelector('button[data-action="details"]')) continue;
        const button = element("button", { type: "button", "data-action": "details" }, T("details_edit"));
        button.addEventListener("click", () => show(box.dataset.siteId));
        box.appendChild(button);
      }
    }).observe(map, { childList: true, subtree: true });
  }

  // The open form follows the scenario the map shows (a decision, an undo, a re-optimisation made elsewhere).
  // The form keeps what the planner typed unless the site's details changed under it (an undo): then it is redrawn.
  document.addEventListener("geoplan:shown", (event) => {
    const form = document.getElementById("details-form");
    if (!form) return;
    const site = event.detail.sites.find((s) => String(s.id) === form.dataset.siteId);
    if (!site) { panel.replaceChildren(element("p", { class: "note" }, T("details_hint"))); return; }
    if (detailsOf(site) !== form.dataset.details) render(event.detail, site.id);
    else form.dataset.version = event.detail.version;
  });

  panel.appendChild(element("p", { class: "note" }, T("details_hint")));
})();
