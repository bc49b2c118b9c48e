/* Bulk lookup for firms: upload depots or crews as CSV (name,lon,lat), get each row's nearest stations along the
   streets (POST /api/v1/nearest), see them on a map and download the answer as CSV. */
"use strict";

(() => {
  const T = GeoMap.T;
  const $ = (id) => document.getElementById(id);
  const ZOOMS = { streets: 0, water: 0, landuse: 13, buildings: 16 };  // as geoplan.basemap.MIN_ZOOM
  const form = $("bulk-form");
  let stations = new Map();  // public stations by id (WGS-84), to place answers on the map and pick its area
  let map = null;
  let mapArea = null;
  let drawn = null;

  function message(text, kind) { GeoMap.message(text, kind); }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
  }

  function distanceText(metres) {
    if (metres < 1000) return `${Math.round(metres)} ${T("unit_m")}`;
    return `${(metres / 1000).toFixed(metres < 10000 ? 1 : 0)} ${T("unit_km")}`;
  }

  const node = GeoMap.node;

  /* GCJ-02 / BD-09 back to WGS-84 for drawing on the OSM basemap (as geoplan.coords; identity outside China). */
  const Coords = (() => {
    const A = 6378245.0;
    const EE = 0.00669342162296594323;
    const X_PI = (Math.PI * 3000.0) / 180.0;
    const outside = (lon, lat) => lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
    function transformLat(x, y) {
      let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
      r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
      r += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
      r += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320.0 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
      return r;
    }
    function transformLon(x, y) {
      let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
      r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
      r += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
      r += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
      return r;
    }
    function wgsToGcj(lon, lat) {
      if (outside(lon, lat)) return [lon, lat];
      const rad = (lat * Math.PI) / 180.0;
      const magic = 1 - EE * Math.sin(rad) ** 2;
      const sqrtMagic = Math.sqrt(magic);
      const dLat = (transformLat(lon - 105.0, lat - 35.0) * 180.0) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
      const dLon = (transformLon(lon - 105.0, lat - 35.0) * 180.0) / ((A / sqrtMagic) * Math.cos(rad) * Math.PI);
      return [lon + dLon, lat + dLat];
    }
    function gcjToWgs(lon, lat) {  // fixed-point inversion, as geoplan.coords does
      let [x, y] = [lon, lat];
      for (let i = 0; i < 30; i += 1) {
        const [fx, fy] = wgsToGcj(x, y);
        x -= fx - lon;
        y -= fy - lat;
        if (Math.abs(fx - lon) < 1e-9 && Math.abs(fy - lat) < 1e-9) break;
      }
      return [x, y];
    }
    function bdToGcj(lon, lat) {
      const x = lon - 0.0065;
      const y = lat - 0.006;
      const z = Math.hypot(x, y) - 0.00002 * Math.sin(y * X_PI);
      const theta = Math.atan2(y, x) - 0.000003 * Math.cos(x * X_PI);
      return [z * Math.cos(theta), z * Math.sin(theta)];
    }
    function toWgs84(lon, lat, system) {
      if (system === "gcj02") return gcjToWgs(lon, lat);
      if (system === "bd09") return gcjToWgs(...bdToGcj(lon, lat));
      return [lon, lat];
    }
    return { toWgs84 };
  })();

  async function post(format) {
    const file = $("bulk-file").files[0];
    if (!file) throw new Error(T("bulk_pick_file"));
    const body = new FormData(form);
    body.set("format", format);
    const response = await fetch("/api/v1/nearest", { method: "POST", body, headers: {
      Accept: format === "csv" ? "text/csv" : "application/json" } });
    if (!response.ok) {
      let data = null;
      try { data = await response.json(); } catch (e) { data = null; }
      throw new Error((data && data.error) || `${response.status} ${response.statusText}`);
    }
    return response;
  }

  async function submit(event) {
    event.preventDefault();
    const button = $("bulk-submit");
    button.disabled = true;
    message(T("working"));
    try {
      const data = await (await post("json")).json();
      show(data);
      $("bulk-download").disabled = false;
      message(fill(T("bulk_answered"), { n: data.rows.length, e: data.errors.length }),
              data.errors.length ? "error" : "ok");
    } catch (error) {
      message(error.message, "error");
    } finally {
      button.disabled = false;
    }
  }

  async function download() {
    const button = $("bulk-download");
    button.disabled = true;
    try {
      const blob = await (await post("csv")).blob();
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = "nearest_stations.csv";
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (error) {
      message(error.message, "error");
    } finally {
      button.disabled = false;
    }
  }

  function show(data) {
    const errors = $("bulk-errors");
    errors.replaceChildren(...data.errors.map((e) => {
      const text = String(e.error).replace(/^line\s+\d+\s*:\s*/i, "");
      const item = node("li", null, `${fill(T("bulk_line_n"), { n: e.line })}: ${text}`);
      item.dataset.line = e.line;
      return item;
    }));
    $("bulk-error-card").hidden = data.errors.length === 0;

    const body = $("bulk-table").querySelector("tbody");
    body.replaceChildren(...data.rows.map((row) => {
      const tr = node("tr");
      tr.dataset.line = row.line;
      tr.append(node("td", "line", String(row.line)));
      const place = node("td", "place");
      place.append(node("div", null, row.name || "–"),
                   node("small", "note", `${Number(row.lon).toFixed(6)}, ${Number(row.lat).toFixed(6)}`));
      tr.append(place);
      tr.dataset.within = row.within_15_min ? "1" : "0";
      const circle = node("td", row.within_15_min ? "circle within" : "circle outside table-warn",
                          row.within_15_min ? T("yes") : T("no"));
      tr.append(circle);
      const cell = node("td", "nearest");
      cell.append(node("div", row.within_15_min ? "circle-text" : "circle-text table-warn", row.note));
      const ranked = node("ol");
      for (const n of row.nearest) {
        const item = node("li");
        item.dataset.stationId = n.id;
        item.append(node("b", null, n.name || `${T("unnamed_station")} #${n.id}`), " ",
                    node("span", "distance", distanceText(n.distance_m)), " · ",
                    node("span", "minutes", `${Math.max(1, Math.round(n.minutes))} ${T("unit_minutes")}`));
        // the truth about each station: open now only when its status is open and its stated hours cover now
        const state = n.status !== "open" ? T(`details_status_${n.status}`)
          : (!n.hours ? T("hours_unknown") : (n.open_now ? T("badge_open") : T("badge_outside_hours")));
        item.append(" · ", node("span", `open-state ${n.open_now ? "open" : "closed"}`, state));
        if (n.address) item.append(node("div", "note", n.address));
        ranked.append(item);
      }
      cell.append(ranked);
      tr.append(cell);
      return tr;
    }));
    $("bulk-results").hidden = data.rows.length === 0;
    if (data.rows.length) drawMap(data);
  }

  function areaOf(data) {
    for (const row of data.rows) {
      for (const n of row.nearest) {
        const station = stations.get(n.id);
        if (station) return station.area;
      }
    }
    return stations.size ? [...stations.values()][0].area : null;
  }

  function drawMap(data) {
    const area = areaOf(data);
    if (!area) return;
    if (map && mapArea !== area) { map.remove(); map = null; }
    if (!map) {
      map = GeoMap.create("bulk-map", area, ZOOMS);
      mapArea = area;
    }
    map.invalidateSize();
    if (drawn) drawn.remove();
    drawn = L.featureGroup().addTo(map);
    const points = [];
    for (const row of data.rows) {
      const [lon, lat] = Coords.toWgs84(Number(row.lon), Number(row.lat), data.coords);
      const depot = L.marker([lat, lon], {
        icon: L.divIcon({ className: "", html: node("span", "depot-marker"), iconSize: [16, 16] }),
        title: row.name || `#${row.line}`,
      });
      depot.bindTooltip(node("span", null, `${fill(T("bulk_line_n"), { n: row.line })} ${row.name || ""}`));
      drawn.addLayer(depot);
      points.push([lat, lon]);
      for (const n of row.nearest) {
        const known = stations.get(n.id);
        const [sLon, sLat] = known ? [known.lon, known.lat] : Coords.toWgs84(n.lon, n.lat, data.coords);
        drawn.addLayer(L.polyline([[lat, lon], [sLat, sLon]], {
          color: "#0a58ca", weight: 2, dashArray: "5 5", opacity: 0.8, interactive: false,
        }));
        const marker = L.marker([sLat, sLon], {
          icon: L.divIcon({ className: "", html: node("span", "bulk-station-marker"), iconSize: [18, 18] }),
          title: n.name || `#${n.id}`,
        });
        marker.bindTooltip(node("span", null, `${n.name || `#${n.id}`} · ${distanceText(n.distance_m)}`));
        drawn.addLayer(marker);
        points.push([sLat, sLon]);
      }
    }
    const fit = () => map.fitBounds(L.latLngBounds(points).pad(0.15), { maxZoom: 17 });
    map.whenReady(fit);  // after the area's own first fit, which GeoMap.create does when its bounds arrive
  }

  async function loadStations() {
    try {
      const response = await fetch("/api/v1/stations", { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const data = await response.json();
      stations = new Map(data.stations.map((s) => [s.id, s]));
      if (!data.stations.length) message(T("no_stations"), "error");
    } catch (error) {
      message(`${T("load_failed")}: ${error.message}`, "error");
    }
  }

  const loaded = loadStations();
  form.addEventListener("submit", async (event) => { event.preventDefault(); await loaded; await submit(event); });
  $("bulk-download").addEventListener("click", download);
})();
