// The panel's only script (no inline scripts: the Content-Security-Policy forbids them).
// Everything works without it; it adds live service status, the package progress bar,
// keeps an opened log drawer scrolled to its newest line, and guards against double submits.
"use strict";

function onReady(fn) {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
  else fn();
}

// Live status on the Services page: refresh each row's state and details.
function liveServices(table) {
  const url = table.dataset.live;
  async function refresh() {
    if (document.hidden) return;
    try {
      const res = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!res.ok) return;
      const { services } = await res.json();
      for (const s of services) {
        const row = table.querySelector(`tr[data-service="${CSS.escape(s.name)}"]`);
        if (!row) continue;
        const badge = row.querySelector('[data-field="state"]');
        badge.className = `badge state-${s.state}`;
        badge.textContent = s.state;
        if (s.subState) {
          const small = document.createElement("small");
          small.textContent = ` (${s.subState})`;
          badge.append(small);
        }
        row.querySelector('[data-field="detail"]').textContent = s.detail;
      }
      table.dataset.refreshed = String(Date.now());
    } catch {
      // The next round will try again.
    }
  }
  setInterval(refresh, 2500);
}

// The progress bar of a running package install.
function followJob(section) {
  const id = section.dataset.job;
  const bar = section.querySelector("progress");
  const phase = section.querySelector(".job-phase");
  const message = section.querySelector(".job-message");
  async function poll() {
    try {
      const res = await fetch(`/packages/job.json?id=${encodeURIComponent(id)}`, { credentials: "same-origin" });
      if (res.ok) {
        const job = await res.json();
        if (job.percent === null) bar.removeAttribute("value");
        else bar.value = job.percent;
        phase.textContent = job.phase;
        message.textContent = job.message;
        if (job.done) {
          window.location.replace(`/packages?job=${encodeURIComponent(id)}`);
          return;
        }
      }
    } catch {
      // Try again below.
    }
    setTimeout(poll, 700);
  }
  // Fire and forget: poll() catches its own errors and schedules the next round itself.
  void poll();
}

// A log drawer shows its newest lines last: scroll them into view when it opens.
function scrollLogs(drawer) {
  const show = () => {
    if (!drawer.open) return;
    for (const lines of drawer.querySelectorAll(".log-lines")) lines.scrollTop = lines.scrollHeight;
  };
  drawer.addEventListener("toggle", show);
  show();
}

onReady(() => {
  const table = document.querySelector("table[data-live]");
  if (table) liveServices(table);
  for (const drawer of document.querySelectorAll("details.log-drawer")) scrollLogs(drawer);
  const job = document.querySelector('section[data-job][data-done="no"]');
  if (job) followJob(job);
  for (const form of document.querySelectorAll("form")) {
    form.addEventListener("submit", () => {
      for (const button of form.querySelectorAll("button[type=submit]")) {
        // Disabled after the submit event, so the click still posts once.
        setTimeout(() => {
          button.disabled = true;
          button.classList.add("busy");
        }, 0);
      }
    });
  }
});
