// Live progress of a scan run: poll the run's small JSON endpoint while it is active.
(function () {
  "use strict";
  const box = document.getElementById("run-progress");
  if (!box || box.dataset.active !== "true") return;
  const POLL_MS = 2000;
  const bar = document.getElementById("run-progress-bar");
  const text = document.getElementById("run-progress-text");
  const state = document.getElementById("run-state");
  async function poll() {
    let data;
    try {
      const response = await fetch(box.dataset.url, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(String(response.status));
      data = await response.json();
    } catch (error) {
      window.setTimeout(poll, POLL_MS * 2);
      return;
    }
    bar.value = data.percent;
    text.textContent = data.domains_done + " / " + data.domains_total;
    state.textContent = data.state_label;
    document.getElementById("run-temperror").textContent = data.temperror;
    document.getElementById("run-nxdomain").textContent = data.nxdomain;
    const waiting = document.getElementById("run-waiting");
    waiting.textContent = data.waiting || "";
    waiting.hidden = !data.waiting;
    if (data.active) {
      window.setTimeout(poll, POLL_MS);
    } else {
      window.location.reload();
    }
  }
  window.setTimeout(poll, POLL_MS);
})();
