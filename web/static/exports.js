/* Download block of the review map (planners and viewers): choose a format and the labels' language, then download.
   The link's href always names the chosen format and language, so it works as a plain link; with fetch available a
   click fetches the file instead, shows the seconds elapsed while the server renders it (a PDF takes seconds) and shows the
   server's message (e.g. nothing to export) in the message bar instead of navigating to a JSON error. */
"use strict";

(() => {
  const link = document.getElementById("export-download");
  const format = document.getElementById("export-format");
  const lang = document.getElementById("export-lang");
  if (!link || !format || !lang) return;
  const T = GeoMap.T;
  let busy = false;

  function update() {
    link.href = `${link.dataset.url}?${new URLSearchParams({ format: format.value, lang: lang.value })}`;
  }

  /** The file name the server gave (RFC 5987 filename* first, then the ASCII filename). */
  function filename(response) {
    const header = response.headers.get("Content-Disposition") || "";
    const full = /filename\*=UTF-8''([^;]+)/i.exec(header);
    if (full) {
      try { return decodeURIComponent(full[1]); } catch (e) { /* fall back to the ASCII name */ }
    }
    const plain = /filename="([^"]+)"/i.exec(header);
    return plain ? plain[1] : `scenario-export.${format.value}`;
  }

  async function download(event) {
    if (!window.fetch || !window.URL || !URL.createObjectURL) return;  // let the plain link do it
    event.preventDefault();
    if (busy) return;
    busy = true;
    link.setAttribute("aria-busy", "true");
    try {
      const [[response, blob], seconds] = await GeoMap.busy("progress_exporting", async () => {
        const answer = await fetch(link.href, { credentials: "same-origin" });
        if (!answer.ok) {
          let text = `${answer.status} ${answer.statusText}`;
          try { const data = await answer.json(); if (data && data.error) text = data.error; } catch (e) { /* not JSON */ }
          throw new Error(text);
        }
        return [answer, await answer.blob()];
      }, [format, lang]);
      const url = URL.createObjectURL(blob);
      const anchor = document.createElement("a");
      anchor.href = url;
      anchor.download = filename(response);
      document.body.appendChild(anchor);
      anchor.click();
      anchor.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      GeoMap.message(`${T("export_done")}: ${anchor.download} · ${GeoMap.fill("progress_done", { what: T("progress_exporting"), s: seconds.toFixed(1) })}`, "ok");
    } catch (error) {
      GeoMap.message(error.message, "error");
    } finally {
      busy = false;
      link.removeAttribute("aria-busy");
    }
  }

  format.addEventListener("change", update);
  lang.addEventListener("change", update);
  link.addEventListener("click", download);
  update();
})();
