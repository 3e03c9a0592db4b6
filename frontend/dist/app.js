// Invoice Processing web UI: log in, upload an invoice, list invoices. No build step.
"use strict";

const apiBase = ((window.INVOICE_CONFIG || {}).apiBase || "").replace(/\/$/, "");
const tokenKey = "invoice.token";
const $ = (id) => document.getElementById(id);

function say(text, isError = false) {
  $("message").textContent = text;
  $("message").className = isError ? "error" : "";
}

async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  const token = sessionStorage.getItem(tokenKey);
  if (token) headers.set("Authorization", `Bearer ${token}`);
  const response = await fetch(`${apiBase}${path}`, { ...options, headers });
  let body = null;
  try { body = await response.json(); } catch { body = null; }
  if (response.status === 401 && token) {
    sessionStorage.removeItem(tokenKey);
    show(false);
  }
  if (!response.ok) {
    throw new Error((body && (body.error || body.message)) || `${response.status} ${response.statusText}`);
  }
  return body;
}

function show(loggedIn, email = "") {
  $("login-view").hidden = loggedIn;
  $("app-view").hidden = !loggedIn;
  $("who").hidden = !loggedIn;
  $("who-email").textContent = email;
}

function cell(text, numeric = false) {
  const td = document.createElement("td");
  td.textContent = text == null ? "" : String(text);
  if (numeric) td.className = "num";
  return td;
}

async function loadVendors() {
  const body = await api("/api/vendors");
  const select = $("vendor-select");
  select.replaceChildren();
  for (const vendor of body.vendors || []) {
    const option = document.createElement("option");
    option.value = vendor.id;
    option.textContent = vendor.name;
    select.append(option);
  }
}

async function loadInvoices() {
  const body = await api("/api/invoices?limit=50");
  const invoices = Array.isArray(body) ? body : body.invoices || [];
  const rows = $("invoice-rows");
  rows.replaceChildren();
  for (const inv of invoices) {
    const tr = document.createElement("tr");
    const total = inv.total_amount == null ? "" : `${inv.total_amount} ${inv.currency || ""}`;
    tr.append(
      cell(inv.invoice_number || inv.original_filename),
      cell(inv.vendor_name),
      cell(inv.invoice_date),
      cell(total, true),
      cell(inv.processing_status),
    );
    rows.append(tr);
  }
  if (!invoices.length) say("No invoices yet: upload one above.");
}

async function enter() {
  const me = await api("/api/auth/me");
  show(true, me.user.email);
  await Promise.all([loadVendors(), loadInvoices()]);
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    const body = await api("/api/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: form.get("email"), password: form.get("password") }),
    });
    sessionStorage.setItem(tokenKey, body.token);
    event.target.reset();
    say("");
    await enter();
  } catch (error) {
    say(`Login failed: ${error.message}`, true);
  }
});

$("upload-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = event.target.querySelector("button");
  button.disabled = true;
  say("Uploading and extracting...");
  try {
    const body = await api("/api/invoices/upload", { method: "POST", body: new FormData(event.target) });
    const inv = body.invoice || {};
    say(`Uploaded ${inv.original_filename || "the invoice"}: ${inv.processing_status || "received"}.`);
    event.target.reset();
    await loadInvoices();
  } catch (error) {
    say(`Upload failed: ${error.message}`, true);
  } finally {
    button.disabled = false;
  }
});

$("refresh").addEventListener("click", () => loadInvoices().catch((e) => say(e.message, true)));

$("logout").addEventListener("click", async () => {
  try { await api("/api/auth/logout", { method: "POST" }); } catch { /* the token is dropped anyway */ }
  sessionStorage.removeItem(tokenKey);
  show(false);
  say("Logged out.");
});

if (sessionStorage.getItem(tokenKey)) {
  enter().catch(() => show(false));
} else {
  show(false);
}
