/* Two scenarios side by side: both maps, coverage per district and group with B-A, sites added and removed; for a
   capacitated scenario also the workers served within capacity and its stations' highest utilisation. */
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
    // Which side was planned for capacity (its figures then hold served workers): null when neither was, and then
    // the page is as it is for plain scenarios.
    const sides = { a: Boolean(data.a.figures.capacity), b: Boolean(data.b.figures.capacity) };
    const capacitated = sides.a || sides.b ? sides : null;
    if (capacitated) showCapacity(data, capacitated);
    for (const [part, table] of [["by_district", "compare-district"], ["by_group", "compare-group"]]) {
      if (capacitated) servedHeads(document.getElementById(table));
      const body = document.querySelector(`#${table} tbody`);
      for (const row of data.rows[part]) {
        const tr = body.insertRow();
        tr.dataset.name = row.name;
        const label = part === "by_group" ? GeoMap.groupName(row.name) : row.name;
        cells(tr, label, row.a || {}, row.b || {}, capacitated);
      }
      const total = document.querySelector(`#${table} tfoot`).insertRow();
      total.dataset.name = "total";
      cells(total, T("compare_total"), wa, wb, capacitated);
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

/** One row of a comparison: its label, A and B covered and share, B−A covered and share (percentage points).
    With capacitated (which side is, when either is) each side's share covered is followed by its workers served
    within capacity and their share. */
function cells(tr, label, a, b, capacitated) {
  const add = (text, className) => {
    const cell = tr.insertCell();
    cell.textContent = text;
    if (className) cell.className = className;
    return cell;
  };
  const diff = (key) => (typeof a[key] === "number" && typeof b[key] === "number" ? b[key] - a[key] : null);
  const shares = diff("share");
  add(label);
  for (const [key, figures] of [["a", a], ["b", b]]) {
    add(GeoMap.num(figures.covered));
    add(GeoMap.pct(figures.share));
    if (capacitated) servedCell(add("", "served-col"), figures, capacitated[key]);
  }
  add(signed(diff("covered"), GeoMap.num), "compare-diff");
  add(signed(shares === null ? null : 100 * shares, (x) => x.toFixed(1)), "compare-diff");
}

/** Workers served within capacity and their share ("1,234 (82.3%)"); "—" for a scenario not planned for capacity. */
function servedCell(cell, figures, planned) {
  if (!planned) notCapacitated(cell);
  else if (typeof figures.served === "number") {
    cell.textContent = GeoMap.served(figures);
  } else cell.textContent = "–";  // no such district or group on this side
}

/** A capacity figure of a scenario not planned for capacity: "—", the reason in its tooltip. */
function notCapacitated(cell) {
  cell.textContent = "—";
  cell.title = GeoMap.T("compare_not_capacitated");
}

/** Head cells of the served columns, each after its side's share covered. */
function servedHeads(table) {
  const heads = table.tHead.rows[0].cells;
  const [bShare, aShare] = [heads[4], heads[2]];  // before either insertion moves them
  bShare.after(GeoMap.node("th", "served-col", GeoMap.fill("compare_served_of", { side: "B" })));
  aShare.after(GeoMap.node("th", "served-col", GeoMap.fill("compare_served_of", { side: "A" })));
}

/** The key figures of both sides (covered, served within capacity, the stations' highest utilisation in their
    busiest window), and the legend of the utilisation rings the capacitated side's stations have on its map. */
function showCapacity(data, capacitated) {
  const table = document.getElementById("compare-capacity");
  for (const key of ["a", "b"]) {
    const workers = data.workers[key];
    const capacity = data[key].figures.capacity;
    const cell = (row) => table.querySelector(`tr[data-key="${row}"] td[data-side="${key}"]`);
    cell("covered").textContent = `${GeoMap.num(workers.covered)} (${GeoMap.pct(workers.share)})`;
    servedCell(cell("served"), workers, capacitated[key]);
    if (capacity) {
      cell("peak").textContent = GeoMap.fill("compare_peak_value", { share: GeoMap.pct(capacity.max_utilisation),
        full: capacity.full });
    } else notCapacitated(cell("peak"));
  }
  table.hidden = false;
  const list = document.querySelector("#compare-legend ul");
  const row = (key, swatch, text) => {
    const item = GeoMap.node("li", "legend-row");
    item.dataset.key = key;
    if (swatch) item.appendChild(GeoMap.node("span", `legend-swatch legend-marker util-${swatch}`));
    item.appendChild(document.createTextNode(text));
    list.appendChild(item);
  };
  row("utilisation", "", GeoMap.T("legend_utilisation"));
  for (const level of ["low", "high", "full"]) row(`util_${level}`, level, GeoMap.T(`legend_util_${level}`));
}
