/* Scenario list: create, rename, duplicate, pick two to compare. */
"use strict";

(() => {
  const T = GeoMap.T;

  // The plan parameters a planner filled in (empty fields keep their defaults), as the API takes them.
  function planParameters(fields) {
    const params = {};
    const hours = (fields.hours_options || "").split(/[,，]/).map((h) => h.trim()).filter(Boolean);
    if (hours.length) params.hours_options = hours;
    for (const name of ["max_24h", "district_min", "city_level_min"]) {
      if (fields[name] !== undefined && fields[name] !== "") params[name] = Number(fields[name]);
    }
    for (const name of ["backup_weight", "max_gap_m", "min_spacing_m"]) {
      if (fields[name] !== undefined && fields[name] !== "") params[name] = Number(fields[name]);
    }
    if (fields.target_coverage) params.target_coverage = Number(fields.target_coverage) / 100;
    if (fields.phases) params.phases = true;
    if (fields.capacitated) params.capacitated = true;
    if (fields.people_per_m2) params.people_per_m2 = Number(fields.people_per_m2);
    // "couriers=20, sanitation=15" (also with Chinese commas or colons): minutes per visit by worker group.
    const visits = (fields.visit_minutes || "").split(/[,，;；]/).map((v) => v.trim()).filter(Boolean);
    if (visits.length) {
      params.visit_minutes = Object.fromEntries(visits.map((v) => {
        const [group, minutes] = v.split(/[=:：]/).map((p) => p.trim());
        return [group, minutes === undefined || minutes === "" ? null : Number(minutes)];  // the server names a bad one
      }));
    }
    return params;
  }
  const form = document.getElementById("new-scenario");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const fields = Object.fromEntries(new FormData(form).entries());
      const data = { name: fields.name, area: fields.area, mode: fields.mode, params: planParameters(fields) };
      if (fields.stations) data.stations = Number(fields.stations);
      try {
        const [created] = await GeoMap.busy("progress_creating", () => GeoMap.api("POST", "/api/planner/scenarios", data),
          [...form.querySelectorAll("button, input, select")]);
        window.location.href = `/scenarios/${created.id}`;
      } catch (error) { GeoMap.message(error.message, "error"); }
    });
  }
  for (const row of document.querySelectorAll("#scenario-table tbody tr[data-scenario-id]")) {
    const id = row.dataset.scenarioId;
    const rename = row.querySelector(".rename");
    if (rename) rename.addEventListener("click", async () => {
      const name = window.prompt(T("rename"), row.querySelector(".open").textContent);
      if (!name) return;
      try {
        await GeoMap.api("POST", `/api/planner/scenarios/${id}/rename`, { name, version: Number(row.dataset.version) });
        window.location.reload();
      } catch (error) { GeoMap.message(error.message, "error"); }
    });
    const duplicate = row.querySelector(".duplicate");
    if (duplicate) duplicate.addEventListener("click", async () => {
      const name = window.prompt(T("duplicate"), `${row.querySelector(".open").textContent} (2)`);
      if (!name) return;
      try {
        const copy = await GeoMap.api("POST", `/api/planner/scenarios/${id}/duplicate`, { name });
        window.location.href = `/scenarios/${copy.id}`;
      } catch (error) { GeoMap.message(error.message, "error"); }
    });
  }
  document.getElementById("compare-picked").addEventListener("click", () => {
    const picked = [...document.querySelectorAll(".pick:checked")].map((c) => c.value);
    if (picked.length !== 2) { GeoMap.message(`${T("compare")}: 2`, "error"); return; }
    window.location.href = `/compare?a=${picked[0]}&b=${picked[1]}`;
  });
})();
