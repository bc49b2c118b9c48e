/* Two scenarios side by side: both maps, coverage per district and group with B-A, sites added and removed. */
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
        L.marker([s.lat, s.lon], { icon: GeoMap.siteIcon(s, changed ? "added" : undefined) })
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
    const side = (letter, scenario, workers) => GeoMap.fill("compare_side", { side: letter, name: scenario.name, share: GeoMap.pct(workers.share) });
    document.getElementById("compare-title").textContent = `${side("A", data.a, wa)} · ${side("B", data.b, wb)}`;
    document.getElementById("compare-sites").textContent =
      `${T("added")}: ${data.added.length} · ${T("removed")}: ${data.removed.length} · ${T("compare_kept")}: ${data.kept}`;
    for (const [part, table] of [["by_district", "compare-district"], ["by_group", "compare-group"]]) {
      const body = document.querySelector(`#${table} tbody`);
      for (const row of data.rows[part]) {
        const tr = body.insertRow();
        tr.dataset.name = row.name;
        const label = part === "by_group" ? GeoMap.groupName(row.name) : row.name;
        cells(tr, label, row.a || {}, row.b || {});
      }
      const total = document.querySelector(`#${table} tfoot`).insertRow();
      total.dataset.name = "total";
      cells(total, T("compare_total"), wa, wb);
    }
  } catch (error) { GeoMap.message(error.message, "error"); }
})();

/** A signed difference as people read it: +12, −3, 0 ("–" when a side has no figure). */
function signed(value, shown) {
  if (value === null || Number.isNaN(value)) return "–";
  const text = shown(Math.abs(value));
  if (text === shown(0)) return text;
  return value > 0 ? `+${text}` : `−${text}`;
}

/** One row of a comparison: its label, A and B covered and share, B−A covered and share (percentage points). */
function cells(tr, label, a, b) {
  const diff = (key) => (typeof a[key] === "number" && typeof b[key] === "number" ? b[key] - a[key] : null);
  const shares = diff("share");
  const values = [label, GeoMap.num(a.covered), GeoMap.pct(a.share), GeoMap.num(b.covered), GeoMap.pct(b.share),
    signed(diff("covered"), GeoMap.num), signed(shares === null ? null : 100 * shares, (x) => x.toFixed(1))];
  values.forEach((value, i) => {
    const cell = tr.insertCell();
    cell.textContent = value;
    if (i >= 5) cell.className = "compare-diff";
  });
}
