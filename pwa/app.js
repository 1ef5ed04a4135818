// Shows whether the server answers; the full scan-first app replaces this page.
const status = document.getElementById("status");
try {
  const response = await fetch("/api/v1/health");
  const health = await response.json();
  status.textContent = health.status === "ok" ? `正常 OK · ${health.database}` : "异常 / unhealthy";
  status.dataset.state = health.status;
} catch {
  status.textContent = "离线 / offline";
  status.dataset.state = "offline";
}
