/* Publishing's checklist (review map, planners only). A click on #publish that would publish the scenario is taken
   here (a capture listener on the button runs before details.js's own and stops it): the scenario is published, or,
   when stations that would become public lack their name, address, hours or status, the server refuses (409,
   "PublishChecklist") with the list, and a dialog shows it. The planner goes back to fill them in, or chooses for
   each station "leave out" (sent as `exclude`) or "publish as it is" (sent as `force`, the list acknowledged station
   by station); both are audited by the server. Withdrawing is left to details.js. Every text is set with
   textContent. */
"use strict";

(() => {
  const root = document.getElementById("review");
  const button = document.getElementById("publish");
  if (!root || !button || root.dataset.planner !== "1") return;
  const url = `/api/planner/scenarios/${root.dataset.scenarioId}`;
  const T = GeoMap.T;
  const node = GeoMap.node;
  const FIELDS = ["name", "address", "hours", "station_status"];

  const csrf = () => { const tag = document.querySelector('meta[name="csrf-token"]'); return tag ? tag.content : ""; };

  /* POST the publication; resolves to [status, body] (a refusal's body keeps its checklist). */
  async function send(body) {
    const response = await fetch(`${url}/publish`, {
      method: "POST",
      headers: { "X-CSRFToken": csrf(), Accept: "application/json", "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return [response.status, data || { error: `${response.status} ${response.statusText}` }];
  }

  function published(scenario, note) {
    document.dispatchEvent(new CustomEvent("geoplan:scenario", { detail: scenario }));
    button.dataset.published = scenario.published ? "1" : "0";
    button.textContent = scenario.published ? T("details_published") : T("details_unpublished");
    GeoMap.message(`${T("saved")} · ${T("details_published")}${note ? ` · ${note}` : ""}`, "ok");
  }

  function closeDialog() {
    const old = document.getElementById("publish-check");
    if (old) old.remove();
  }

  /* The checklist: one row per incomplete station, what it lacks, and a choice (leave out / publish as it is). */
  function showChecklist(scenario, answer) {
    closeDialog();
    const dialog = node("div", "publish-check");
    dialog.id = "publish-check";
    dialog.setAttribute("role", "dialog");
    dialog.setAttribute("aria-modal", "true");
    dialog.setAttribute("aria-labelledby", "publish-check-title");
    Object.assign(dialog.style, { position: "fixed", inset: "10% 5% auto 5%", maxHeight: "80vh", overflowY: "auto",
                                  background: "#fff", border: "1px solid #d0d7de", borderRadius: "10px",
                                  padding: "1rem", zIndex: 3000, boxShadow: "0 8px 24px rgba(0,0,0,.2)" });
    const title = node("h2", null, T("publish_check_title"));
    title.id = "publish-check-title";
    dialog.append(title, node("p", "publish-check-error", answer.error), node("p", null, T("publish_check_intro")));
    const list = node("ol", "publish-check-list");
    for (const site of answer.missing) {
      const item = node("li", "publish-check-site");
      item.dataset.siteId = site.id;
      const name = site.name || `${T("unnamed_station")}`;
      item.append(node("b", null, `#${site.number || site.id} ${name}`), " ",
                  node("span", "publish-missing", GeoMap.fill("publish_missing", {
                    fields: site.missing.filter((f) => FIELDS.includes(f)).map((f) => T(`publish_field_${f}`))
                      .join("、"),
                  })));
      const choices = node("div", "publish-choices");
      for (const choice of ["exclude", "force"]) {
        const label = node("label", "publish-choice");
        const radio = document.createElement("input");
        radio.type = "radio";
        radio.name = `publish-${site.id}`;
        radio.value = choice;
        radio.dataset.choice = choice;
        label.append(radio, " ", T(`publish_${choice}`));
        choices.append(label);
      }
      item.append(choices);
      list.append(item);
    }
    dialog.append(list);
    const problem = node("p", "publish-check-problem");
    problem.setAttribute("role", "alert");
    const confirm = node("button", "btn primary", T("publish_confirm"));
    confirm.type = "button";
    confirm.id = "publish-confirm";
    const cancel = node("button", "btn", T("publish_cancel"));
    cancel.type = "button";
    cancel.id = "publish-cancel";
    cancel.addEventListener("click", () => { closeDialog(); GeoMap.message(answer.error, "error"); });
    confirm.addEventListener("click", async () => {
      const exclude = [];
      const force = [];
      for (const site of answer.missing) {
        const chosen = dialog.querySelector(`input[name="publish-${site.id}"]:checked`);
        if (!chosen) { problem.textContent = T("publish_choose_all"); return; }
        (chosen.value === "exclude" ? exclude : force).push(site.id);
      }
      confirm.disabled = true;
      try {
        await publish(scenario.version, exclude, force);
      } finally { confirm.disabled = false; }
    });
    dialog.append(problem, confirm, " ", cancel);
    document.body.append(dialog);
    confirm.focus();
  }

  async function publish(version, exclude, force) {
    const body = { version, published: true };
    if (exclude) body.exclude = exclude;
    if (force) body.force = force;
    const [status, answer] = await send(body);
    if (status === 200) {
      closeDialog();
      const note = exclude || force
        ? GeoMap.fill("publish_done", { excluded: (exclude || []).length, forced: (force || []).length }) : "";
      published(answer, note);
      return;
    }
    if (status === 409 && answer.kind === "PublishChecklist") {
      const scenario = await GeoMap.api("GET", url);
      showChecklist(scenario, answer);
      GeoMap.message(answer.error, "error");
      return;
    }
    closeDialog();
    GeoMap.message(answer.error, "error");  // stale (409), refused ids (400): the server's message
  }

  button.addEventListener("click", async (event) => {
    if (button.dataset.published === "1") return;  // withdrawing: details.js does it
    event.stopImmediatePropagation();
    GeoMap.message(T("working"), "busy");
    try {
      const scenario = await GeoMap.api("GET", url);
      if (scenario.published) return;
      await publish(scenario.version);
    } catch (error) { GeoMap.message(error.message, "error"); }
  }, true);
})();
