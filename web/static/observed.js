/* Worker layers from what firms observe, on the review map (planners only; issue 15). The data form's kinds pings,
   orders and depots (#data-kind options marked data-observed) show the privacy k and headcount fields and the
   preview button. "预览" builds the layer on the server (POST /api/planner/scenarios/<id>/observed-preview: nothing
   is stored) and draws it as a temporary map layer, circles sized by workers, with the build's report lines; the
   form's submit button, "用于方案" for these kinds, uploads for real through planner.js, whose answer carries the
   report too (shown here when planner.js dispatches "geoplan:shown"). The preview goes away when the layer is used,
   or when the file, kind, group or coordinates change. */
"use strict";

(() => {
  const root = document.getElementById("review");
  const form = document.getElementById("data-form");
  if (!root || !form || root.dataset.planner !== "1" || !root.geoplanMap) return;
  const id = root.dataset.scenarioId;
  const T = GeoMap.T;
  const map = root.geoplanMap;
  const kind = document.getElementById("data-kind");
  const file = document.getElementById("data-file");
  const extra = document.getElementById("observed-fields");
  const previewButton = document.getElementById("observed-preview");
  const submit = document.getElementById("data-submit");
  const report = document.getElementById("observed-report");
  const lines = document.getElementById("observed-report-lines");
  // SVG, not the map's canvas: the preview's circles are elements (class observed-point) a test or a reader can find.
  const renderer = L.svg();
  const preview = L.featureGroup();

  const observed = () => Boolean(kind.selectedOptions[0] && kind.selectedOptions[0].dataset.observed === "1");

  function showKind() {
    const on = observed();
    extra.hidden = !on;
    extra.disabled = !on;  // a disabled fieldset's fields are not sent: a layer or sites upload gets no k
    previewButton.hidden = !on;
    submit.textContent = on ? submit.dataset.use : submit.dataset.upload;
    file.accept = on ? ".csv" : ".csv,.geojson,.json";
  }

  function showReport(texts, state) {
    lines.replaceChildren(...texts.map((text) => GeoMap.node("li", "", text)));
    report.dataset.state = state;
    report.hidden = false;
  }

  function clearPreview() {
    preview.clearLayers();
    if (map.hasLayer(preview)) map.removeLayer(preview);
    delete root.dataset.observedPreview;
    report.hidden = true;
    lines.replaceChildren();
    delete report.dataset.state;
  }

  function draw(layer) {
    clearPreview();
    const top = layer.features.reduce((most, f) => Math.max(most, f.properties.weight), 0) || 1;
    for (const feature of layer.features) {
      const [lon, lat] = feature.geometry.coordinates;
      const weight = feature.properties.weight;
      L.circleMarker([lat, lon], {
        renderer, className: "observed-point", radius: 2 + 10 * Math.sqrt(weight / top),
        color: "#8250df", weight: 1, opacity: 0.8, fillColor: "#8250df", fillOpacity: 0.3,
      }).bindTooltip(`${GeoMap.groupName(layer.group)} · ${weight < 1 ? weight.toFixed(2) : GeoMap.num(weight)} ${T("workers")}`)
        .addTo(preview);
    }
    preview.addTo(map);
    root.dataset.observedPreview = String(layer.features.length);
    showReport(layer.report_lines, "preview");
  }

  previewButton.addEventListener("click", async () => {
    const body = new FormData(form);
    try {
      const [layer] = await GeoMap.busy("progress_observed_preview",
        () => GeoMap.api("POST", `/api/planner/scenarios/${id}/observed-preview`, body), [previewButton, submit]);
      draw(layer);
      GeoMap.message(GeoMap.fill("observed_preview_done",
        { points: GeoMap.num(layer.features.length), workers: GeoMap.num(layer.report.headcount) }), "ok");
    } catch (error) {
      clearPreview();
      GeoMap.message(error.message, "error");
    }
  });

  // The real upload goes through planner.js's submit handler; its busy label is this script's.
  form.addEventListener("submit", () => {
    if (observed()) GeoMap.message(T("progress_observed_use"), "busy");
  });

  document.addEventListener("geoplan:shown", (event) => {
    const used = event.detail && event.detail.observed;
    if (!used) return;
    clearPreview();  // the layer is the scenario's now: planner.js draws it with the other workers
    showReport(used.report_lines, "used");
  });

  for (const control of [kind, file, document.getElementById("data-group"), document.getElementById("data-coords"),
    document.getElementById("observed-k"), document.getElementById("observed-headcount")]) {
    control.addEventListener("change", () => { if (root.dataset.observedPreview !== undefined) clearPreview(); });
  }
  kind.addEventListener("change", showKind);
  showKind();
})();
