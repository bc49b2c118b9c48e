/* Two scenarios side by side: both maps, coverage per district and group, sites added and removed. */
"use strict";

(async () => {
  const root = document.getElementById("compare");
  const T = GeoMap.T;
  if (!root.dataset.a || !root.dataset.b) return;
  try {
    const data = await GeoMap.api("GET", `/api/planner/compare?a=${root.dataset.a}&b=${root.dataset.b}`);
    const zooms = JSON.parse(root.dataset.layers);
    const maps = { a: GeoMap.create("map-a", data.a.area, zooms), b: GeoMap.create("map-b", data.b.area, zooms) };
    const added = new Set(data.added.map((s) => `${s.lon},${s.lat}`));
    const removed = new Set(data.removed.map((s) => `${s.lon},${s.lat}`));
    for (const side of ["a", "b"]) {
      for (const s of data[side].sites) {
        if (s.status === "rejected") continue;
        const key = `${s.lon},${s.lat}`;
        const changed = (side === "a" && removed.has(key)) || (side === "b" && added.has(key));
        L.marker([s.lat, s.lon], { icon: GeoMap.siteIcon(Object.assign({}, s, { status: changed ? "rejected" : s.status })) })
          .bindTooltip(GeoMap.node("span", null, `#${s.id} ${s.name || s.candidate_id || ""}`)).addTo(maps[side]);
      }
    }
    // Keep both maps on the same view, once both have one (Leaflet throws before a map has a centre).
    let ready = 0;
    const link = () => {
      ready += 1;
      if (ready < 2) return;
      for (const side of ["a", "b"]) {
        const other = maps[side === "a" ? "b" : "a"];
        maps[side].on("moveend", () => {
          const here = maps[side];
          if (!other.getCenter().equals(here.getCenter()) || other.getZoom() !== here.getZoom())
            other.setView(here.getCenter(), here.getZoom(), { animate: false });
        });
      }
    };
    maps.a.whenReady(link);
    maps.b.whenReady(link);
    const wa = data.workers.a, wb = data.workers.b;
    document.getElementById("compare-title").textContent =
      `A: ${data.a.name} ${GeoMap.pct(wa.share)} · B: ${data.b.name} ${GeoMap.pct(wb.share)}`;
    document.getElementById("compare-sites").textContent =
      `${T("added")}: ${data.added.length} · ${T("removed")}: ${data.removed.length} · ${data.kept}`;
    for (const [part, table] of [["by_district", "compare-district"], ["by_group", "compare-group"]]) {
      const body = document.querySelector(`#${table} tbody`);
      for (const row of data.rows[part]) {
        const tr = body.insertRow();
        tr.dataset.name = row.name;
        const a = row.a || {}, b = row.b || {};
        const label = part === "by_group" ? GeoMap.groupName(row.name) : row.name;
        for (const v of [label, GeoMap.num(a.covered), GeoMap.pct(a.share), GeoMap.num(b.covered), GeoMap.pct(b.share)]) tr.insertCell().textContent = v;
      }
    }
  } catch (error) { GeoMap.message(error.message, "error"); }
})();
