// oreshock dashboard: plain JS, no build step. Every view reads the JSON API only.
"use strict";

const state = { lang: localStorage.getItem("oreshock-lang") || "ja", text: {}, data: null };
const view = () => document.getElementById("view");

function t(key) {
  const entry = state.text[key];
  return entry ? entry[state.lang] || entry.en : key;
}

function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => (
    { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

async function api(path, options) {
  const res = await fetch(path, options);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.detail || res.statusText);
  return body;
}

function pct(x, digits = 1) {
  return x === null || x === undefined ? "–" : (100 * x).toFixed(digits);
}

function num(x, digits = 1) {
  return x === null || x === undefined ? "–" : Number(x).toFixed(digits);
}

function name(item) {
  return item[`name_${state.lang}`] || item.name_en || item.mineral || item.stage;
}

function table(headers, rows) {
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => (
    typeof c === "object" && c !== null ? `<td class="num">${esc(c.v)}</td>` : `<td>${c}</td>`
  )).join("")}</tr>`).join("");
  return `<table><tr>${head}</tr>${body}</table>`;
}

function translateStatic() {
  document.documentElement.lang = state.lang;
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  document.querySelectorAll(".lang button").forEach((b) => {
    b.classList.toggle("active", b.dataset.lang === state.lang);
  });
  document.querySelectorAll("nav a").forEach((a) => {
    a.classList.toggle("active", location.hash.startsWith(a.getAttribute("href")));
  });
}

// ------------------------------------------------------------------ overview
async function overview(params) {
  const minerals = state.data.minerals;
  const mineral = params.get("mineral") || "rare_earths";
  const m = minerals.find((x) => x.mineral === mineral) || minerals[0];
  const stage = params.get("stage") || (m.stages[1] || m.stages[0]).stage;
  const o = await api(`/api/overview?mineral=${m.mineral}&stage=${stage}&lang=${state.lang}`);
  const c = o.concentration;
  const mineralOptions = minerals.map((x) => (
    `<option value="${x.mineral}" ${x.mineral === m.mineral ? "selected" : ""}>${esc(name(x))}</option>`)).join("");
  const stageOptions = m.stages.map((s) => (
    `<option value="${s.stage}" ${s.stage === c.stage ? "selected" : ""}>${esc(name(s))}</option>`)).join("");
  const shares = Object.entries(c.shares).map(([iso3, share]) => [
    esc(o.names[iso3] || iso3), { v: pct(share) }]);
  const dep = o.dependency.filter((r) => r.consumption > 0 || r.production_share > 0).map((r) => [
    esc(r.country), { v: num(r.consumption, 0) }, { v: pct(r.production_share) },
    { v: pct(r.net_import_reliance) }, { v: pct(r.china_origin_share) }, { v: num(r.supply_risk, 3) }]);
  view().innerHTML = `
    <h2 data-t="nav_overview">${esc(t("nav_overview"))}</h2>
    <label>${esc(t("mineral"))} <select id="ov-mineral">${mineralOptions}</select></label>
    <label>${esc(t("stage"))} <select id="ov-stage">${stageOptions}</select></label>
    <p id="ov-metrics">${esc(t("hhi"))} <b>${num(c.hhi, 3)}</b> · ${esc(t("top1_share"))} <b>${pct(c.top1_share)}%</b>
      · ${esc(t("top3_share"))} <b>${pct(c.top3_share)}%</b> (${c.year})</p>
    <div id="ov-map">${o.map_svg}</div>
    <div class="cols">
      <div><h3>${esc(t("share"))} %</h3>${table([t("country"), t("share") + " %"], shares)}</div>
      <div><h3>${esc(t("dash_supply_risk"))}</h3>${table([t("country"), t("dash_consumption"),
        t("dash_production_share") + " %", t("dash_reliance") + " %", t("dash_china_origin") + " %",
        t("dash_supply_risk")], dep)}</div>
    </div>
    <p class="muted">${c.sources.map((s) => `${esc(t("sources"))}: <a href="${esc(s.url)}">${esc(s.title)}</a>`).join("<br>")}</p>
    <p class="muted"><a href="/api/overview?mineral=${m.mineral}&stage=${c.stage}&lang=${state.lang}">JSON</a></p>`;
  document.getElementById("ov-mineral").onchange = (e) => { location.hash = `#/overview?mineral=${e.target.value}`; };
  document.getElementById("ov-stage").onchange = (e) => {
    location.hash = `#/overview?mineral=${m.mineral}&stage=${e.target.value}`;
  };
}

// ------------------------------------------------------------------- builder
async function builder() {
  const scenarios = await api("/api/scenarios");
  const countries = state.data.countries.filter((c) => !["WLD", "OTH", "XEU"].includes(c.iso3));
  const countryOptions = (sel) => countries.map((c) => (
    `<option value="${c.iso3}" ${c.iso3 === sel ? "selected" : ""}>${c.iso3} ${esc(name(c))}</option>`)).join("");
  const scenarioOptions = scenarios.map((s) => s.variants.concat([""]).map((v) => (
    `<option value="${esc(s.name)}|${esc(v)}">${esc(state.lang === "ja" ? s.title_ja || s.title : s.title)}${v ? " / " + esc(variantTitle(scenarios, s.name, v)) : ""}</option>`
  )).join("")).join("");
  const minerals = state.data.minerals.map((m) => (
    `<option value="${m.mineral}" ${m.mineral === "rare_earths" ? "selected" : ""}>${esc(name(m))}</option>`)).join("");
  const groups = state.data.groups.map((g) => `<option value="${g}">${g}</option>`).join("");
  view().innerHTML = `
    <h2>${esc(t("nav_builder"))}</h2>
    <form id="shipped-form"><fieldset><legend>${esc(t("dash_shipped"))}</legend>
      <select id="b-shipped">${scenarioOptions}</select>
      <button class="primary" type="submit" id="b-run-shipped">${esc(t("dash_run"))}</button>
    </fieldset></form>
    <form id="builder-form"><fieldset><legend>${esc(t("dash_custom"))}</legend>
      <label>${esc(t("dash_exporter"))} <select id="b-exporter">${countryOptions("CHN")}</select></label>
      <label>${esc(t("dash_targets"))} <input type="text" id="b-targets" value="JPN" pattern="[A-Za-z]{3}(, *[A-Za-z]{3})*" required></label>
      <label>${esc(t("mineral"))} <select id="b-mineral">${minerals}</select></label>
      <div id="b-stages"></div>
      <label>${esc(t("dash_start"))} <input type="month" id="b-start" value="2026-01" required></label>
      <label>${esc(t("dash_end"))} <input type="month" id="b-end"></label>
      <label>${esc(t("dash_months"))} <input type="number" id="b-months" value="36" min="1" max="600"></label>
      <label>${esc(t("dash_ban_share"))} <input type="number" id="b-share" value="1" min="0" max="1" step="0.05"></label>
      <label><input type="checkbox" id="b-reexport" checked> ${esc(t("dash_reexport"))}</label>
      <label><input type="checkbox" id="b-stockpile"> ${esc(t("dash_stockpile"))}</label>
      <label>${esc(t("dash_sharing"))} <select id="b-sharing"><option value="">${esc(t("dash_none"))}</option>${groups}</select>
        ${esc(t("dash_sharing_share"))} <input type="number" id="b-sharing-share" value="0.3" min="0" max="1" step="0.05"></label>
      <label><input type="checkbox" id="b-rerouting"> ${esc(t("dash_rerouting"))}</label>
      <button class="primary" type="submit" id="b-run">${esc(t("dash_run"))}</button>
    </fieldset></form>
    <div id="b-status"></div>`;
  const stageBoxes = () => {
    const m = state.data.minerals.find((x) => x.mineral === document.getElementById("b-mineral").value);
    document.getElementById("b-stages").innerHTML = `${esc(t("stage"))}: ` + m.stages.map((s) => (
      `<label style="display:inline"><input type="checkbox" name="stage" value="${s.stage}" checked> ${esc(name(s))}</label> `)).join("");
  };
  document.getElementById("b-mineral").onchange = stageBoxes;
  stageBoxes();
  document.getElementById("shipped-form").onsubmit = (e) => {
    e.preventDefault();
    const [scenario, variant] = document.getElementById("b-shipped").value.split("|");
    startRun({ scenario, variant: variant || null });
  };
  document.getElementById("builder-form").onsubmit = (e) => {
    e.preventDefault();
    startRun({ scenario: customScenario() });
  };
}

function customScenario() {
  const val = (id) => document.getElementById(id).value;
  const exporter = val("b-exporter");
  const targets = val("b-targets").split(",").map((s) => s.trim().toUpperCase()).filter(Boolean);
  const mineral = val("b-mineral");
  const stages = [...document.querySelectorAll("#b-stages input:checked")].map((x) => x.value);
  const window = { start: val("b-start"), ...(val("b-end") ? { end: val("b-end") } : {}) };
  const shocks = [{ type: "export_ban", exporter, destinations: targets, minerals: [mineral],
    stages, share: Number(val("b-share")), ...window }];
  if (document.getElementById("b-reexport").checked) {
    shocks.push({ type: "reexport_control", origin: exporter, destinations: targets,
      minerals: [mineral], stages, ...window });
  }
  const scenario = {
    name: `custom-${exporter.toLowerCase()}-${targets.join("-").toLowerCase()}`,
    title_en: `${exporter} cuts ${targets.join(", ")} off from ${mineral}`,
    title_ja: `${exporter}による${targets.join("・")}向け輸出規制（${mineral}）`,
    start: val("b-start"), months: Number(val("b-months")), minerals: [mineral], shocks,
    buffers: { commercial_stocks: true, stockpiles: [] }, responses: {},
  };
  if (document.getElementById("b-stockpile").checked) {
    scenario.buffers.stockpiles = targets.map((holder) => ({ holder }));
  }
  if (val("b-sharing")) {
    scenario.responses.sharing = [{ group: val("b-sharing"), share: Number(val("b-sharing-share")), start: val("b-start") }];
  }
  if (document.getElementById("b-rerouting").checked) scenario.responses.rerouting = {};
  return scenario;
}

async function startRun(body) {
  const box = document.getElementById("b-status");
  box.innerHTML = "";
  try {
    const created = await api("/api/runs", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    box.innerHTML = `<p>${esc(t("dash_progress"))}: <progress id="b-progress" max="1" value="0"></progress> <span id="b-state">queued</span></p>`;
    for (;;) {
      const s = await api(`/api/runs/${created.id}`);
      document.getElementById("b-progress").value = s.progress;
      document.getElementById("b-state").textContent = s.status;
      if (s.status === "done") { location.hash = `#/run/${s.run_id}`; return; }
      if (s.status === "failed") throw new Error(s.error);
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (err) {
    box.innerHTML = `<p class="error" id="b-error">${esc(t("dash_error"))}: ${esc(err.message)}</p>`;
  }
}

// ---------------------------------------------------------------- run result
// The assumptions as the report lists them: grouped, each with its value and unit, the range
// ensembles sample and its source, in the reader's language.
function assumptionsTable(rows) {
  const head = ["asm_col_parameter", "asm_col_value", "asm_col_range", "asm_col_source"]
    .map((k) => `<th>${esc(t(k))}</th>`).join("");
  const body = rows.map((a, i) => `${i === 0 || a.group !== rows[i - 1].group
    ? `<tr class="group"><th colspan="4">${esc(a.group || "")}</th></tr>` : ""}<tr><td>${esc(a.label)}</td>
    <td class="num">${esc(a.value)}</td><td class="num">${esc(a.range || "")}</td><td class="muted">${esc(a.source || "")}</td></tr>`).join("");
  return `<table class="assumptions"><tr>${head}</tr>${body}</table>`;
}

async function runPage(id) {
  const r = await api(`/api/runs/${id}/report?lang=${state.lang}`);
  const stages = r.stages.filter((s) => s.cumulative_shortfall_pct > 0.05).map((s) => [
    esc(s.country_name || s.country), esc(s.product_name || s.stage), { v: s.months_to_shortfall ?? t("never") },
    { v: num(s.peak_shortfall_pct) }, { v: num(s.cumulative_shortfall_pct) }]);
  view().innerHTML = `
    <h2 id="run-title">${esc(r.title)}${r.variant ? " / " + esc(r.variant_name || r.variant) : ""}</h2>
    <p class="muted">${esc(t("run_id"))} ${esc(r.run_id)} ·
      <a href="/api/runs/${id}/report.html?lang=${state.lang}" download="oreshock-${id}-${state.lang}.html">${esc(t("dash_download"))}</a> ·
      <a id="run-pdf" href="/api/runs/${id}/report.pdf?lang=${state.lang}&paper=a4">${esc(t("dash_download_pdf"))}</a> ·
      <a href="/api/runs/${id}/report?lang=${state.lang}">JSON</a></p>
    ${coverageNote(r)}
    <section id="run-summary"><h3>${esc(t("summary_heading"))}</h3><ul>${r.summary.map((s) => `<li>${s.html}</li>`).join("")}</ul></section>
    <section id="run-analysis"><h3>${esc(t("analysis_heading"))}</h3>${r.analysis.map((s) => `<p>${s.html}</p>`).join("")}
      ${table([t("country"), t("stage"), t("months_to_shortfall"), t("peak_shortfall_pct"), t("cumulative_shortfall_pct")], stages)}</section>
    <section id="run-charts"><h3>${esc(t("charts_heading"))}</h3>${r.figures.map((f) => `<figure id="fig-${esc(f.id)}">${f.svg}</figure>`).join("")}</section>
    ${impactSection(r, id)}
    <section id="run-assumptions"><h3>${esc(t("assumptions_heading"))}</h3>${assumptionsTable(r.assumptions)}</section>
    <section><h3>${esc(t("sources_heading"))}</h3><ol>${r.sources.map((s) => `<li><a href="${esc(s.url)}">${esc(s.title)}</a></li>`).join("")}</ol></section>`;
}

// The run's impact on output and GDP: the stored one, or a button that computes it (the
// server simulates the run again, a few seconds) and shows it.
function impactSection(r, id) {
  const imp = r.impact;
  const head = `<h3>${esc(t("imp_heading"))}</h3>`;
  if (!imp) {
    setTimeout(() => {
      const btn = document.getElementById("impact-btn");
      if (!btn) return;
      btn.addEventListener("click", async () => {
        btn.disabled = true;
        document.getElementById("impact-status").textContent = t("imp_computing");
        try {
          await api(`/api/runs/${id}/impact`, { method: "POST" });
          runPage(id);
        } catch (err) {
          document.getElementById("impact-status").textContent = `${t("dash_error")}: ${err.message}`;
          btn.disabled = false;
        }
      });
    });
    return `<section id="run-impact">${head}<button class="primary" id="impact-btn">${esc(t("imp_compute"))}</button>
      <span id="impact-status" class="muted"></span></section>`;
  }
  const rows = (list) => list.map((row) => Object.values(row).map((v, i) => (i ? { v } : esc(v))));
  const tables = imp.none ? `<p>${esc(imp.none)}</p>` : `
    ${table(Object.keys(imp.countries[0]), rows(imp.countries))}
    <h4>${esc(imp.sectors_title)}</h4>${table(Object.keys(imp.sectors[0]), rows(imp.sectors))}`;
  return `<section id="run-impact">${head}<p>${esc(imp.title)} ·
    <a href="/api/runs/${id}/impact">JSON</a></p>${tables}
    ${imp.notes.map((n) => `<p class="muted">${esc(n)}</p>`).join("")}</section>`;
}

// What the data lack for the run's shocks: shown before the figures, so "never short" is not
// read as an answer where the data hold nothing to cut.
function coverageNote(r) {
  const notes = (r.coverage || []).slice().sort((a, b) => (a.level === "warning" ? 0 : 1) - (b.level === "warning" ? 0 : 1));
  if (!notes.length) return "";
  const items = [...new Set(notes.map((n) => n[`message_${state.lang}`] || n.message_en))];
  return `<section id="run-coverage" class="error"><h3>${esc(t("cov_heading"))}</h3><ul>${items.map((m) => `<li>${esc(m)}</li>`).join("")}</ul></section>`;
}

// ---------------------------------------------------------------------- runs
async function runsPage(params) {
  const wanted = ["scenario", "label", "since"].filter((k) => params.get(k));
  const query = wanted.map((k) => `${k}=${encodeURIComponent(params.get(k))}`).join("&");
  const [runs, scenarios] = await Promise.all([api(`/api/runs${query ? "?" + query : ""}`), api("/api/scenarios")]);
  const rows = runs.map((r) => [
    r.status === "done" ? `<input type="checkbox" class="pick" value="${esc(r.run_id || r.id)}">` : "",
    r.status === "done" ? `<a href="#/run/${esc(r.run_id || r.id)}">${esc(r.run_id || r.id)}</a>` : esc(r.id),
    esc(scenarioTitle(scenarios, r.scenario)), esc(variantTitle(scenarios, r.scenario, r.variant)), esc(r.label || ""),
    { v: r.months ?? "–" }, esc(r.status), esc(String(r.created || "").replace("T", " ").slice(0, 19))]);
  const scenarioOptions = [`<option value="">${esc(t("runs_all_scenarios"))}</option>`].concat(scenarios.map((s) => (
    `<option value="${esc(s.name)}" ${s.name === params.get("scenario") ? "selected" : ""}>${esc(scenarioTitle(scenarios, s.name))}</option>`))).join("");
  view().innerHTML = `<h2>${esc(t("nav_runs"))}</h2>
    <form id="runs-filter"><fieldset><legend>${esc(t("runs_filter"))}</legend>
      <label>${esc(t("dash_scenario"))} <select id="f-scenario">${scenarioOptions}</select></label>
      <label>${esc(t("label"))} <input type="text" id="f-label" value="${esc(params.get("label") || "")}" maxlength="200"></label>
      <label>${esc(t("runs_since"))} <input type="date" id="f-since" value="${esc(params.get("since") || "")}"></label>
      <button class="primary" type="submit" id="f-apply">${esc(t("runs_filter"))}</button>
    </fieldset></form>
    <div id="runs-list">${table(["", t("run_id"), t("dash_scenario"), t("variant"), t("label"), t("horizon_months"),
      t("dash_status"), t("created")], rows)}</div>
    <button class="primary" id="compare-btn">${esc(t("dash_compare_selected"))}</button>
    <p class="muted"><a href="/api/runs${query ? "?" + esc(query) : ""}">JSON</a></p>`;
  document.getElementById("runs-filter").onsubmit = (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    [["scenario", "f-scenario"], ["label", "f-label"], ["since", "f-since"]].forEach(([k, id]) => {
      const v = document.getElementById(id).value.trim();
      if (v) next.set(k, v);
    });
    location.hash = `#/runs?${next}`;
  };
  document.getElementById("compare-btn").onclick = () => {
    const ids = [...document.querySelectorAll(".pick:checked")].map((x) => x.value);
    if (ids.length >= 2) location.hash = `#/compare?ids=${ids.join(",")}`;
  };
}

async function comparePage(params) {
  const ids = (params.get("ids") || "").split(",").filter(Boolean);
  const q = ids.map((id) => `ids=${encodeURIComponent(id)}`).join("&");
  const [c, scenarios] = await Promise.all([api(`/api/compare?${q}`), api("/api/scenarios")]);
  const keys = new Map();
  c.runs.forEach((run) => run.summary.forEach((s) => {
    if (s.cumulative_shortfall_pct > 0.05) keys.set(`${s.country}|${s.mineral}|${s.stage}`, s);
  }));
  const rows = [...keys.keys()].sort().map((k) => {
    const [country, mineral, stage] = k.split("|");
    return [esc(country), esc(stage), ...c.runs.map((run) => {
      const s = run.summary.find((x) => x.country === country && x.mineral === mineral && x.stage === stage);
      return { v: s ? `${s.months_to_shortfall ?? t("never")} / ${num(s.cumulative_shortfall_pct)}%` : "–" };
    })];
  });
  const notes = (c.notes || []).map((n) => `<p class="error">${esc(n[state.lang] || n.en)}</p>`).join("");
  view().innerHTML = `<h2>${esc(t("nav_compare"))}</h2>
    ${notes ? `<section id="compare-notes">${notes}</section>` : ""}
    <p class="muted">${esc(t("months_to_shortfall"))} / ${esc(t("cumulative_shortfall_pct"))}</p>
    <div id="compare-table">${table([t("country"), t("stage"), ...c.runs.map((r) => (
      `${variantTitle(scenarios, r.scenario, r.variant)}${r.label ? " · " + r.label : ""} (${r.run_id}, ${r.months} ${t("months_unit")})`))], rows)}</div>
    <p class="muted"><a href="/api/compare?${q}">JSON</a></p>`;
}

// --------------------------------------------------------------------- plans
// Plans: the stored ones, a form that starts one as a job (with its progress), and each
// plan's page (what to buy and build, who pays, the cost-vs-cap curve, the engine's check).
async function plansPage() {
  const [plans, scenarios] = await Promise.all([api("/api/plans"), api("/api/scenarios")]);
  const planned = scenarios.filter((s) => s.plan);
  const scenarioOptions = planned.map((s) => (
    `<option value="${esc(s.name)}">${esc(state.lang === "ja" ? s.title_ja || s.title : s.title)}</option>`)).join("");
  const groups = state.data.groups.map((g) => `<option value="${g}" ${g === "g7plus" ? "selected" : ""}>${g}</option>`).join("");
  const rows = plans.map((p) => [
    p.status === "done" ? `<a href="#/plan/${esc(p.plan_id || p.id)}">${esc(p.plan_id || p.id)}</a>` : esc(p.id),
    esc(p.scenario || ""), esc(p.coalition || p.members || ""), { v: p.cap === undefined ? "–" : pct(p.cap, 1) },
    esc(p.risk ? t(`plan_risk_${p.risk}`) : ""), { v: p.total_cost_usd === undefined ? "–" : num(p.total_cost_usd / 1e6, 1) },
    esc(p.status), esc(p.created || "")]);
  view().innerHTML = `<h2>${esc(t("nav_plans"))}</h2>
    <form id="plan-form"><fieldset><legend>${esc(t("dash_plan_new"))}</legend>
      <label>${esc(t("dash_scenario"))} <select id="p-scenario">${scenarioOptions}</select></label>
      <label>${esc(t("dash_members"))} <select id="p-members">${groups}</select></label>
      <label>${esc(t("dash_cap"))} <input type="number" id="p-cap" value="0.05" min="0.001" max="1" step="any" required></label>
      <label>${esc(t("dash_risk"))} <select id="p-risk"><option value="worst">${esc(t("plan_risk_worst"))}</option>
        <option value="expected">${esc(t("plan_risk_expected"))}</option><option value="cvar">${esc(t("plan_risk_cvar"))}</option></select></label>
      <label>${esc(t("dash_plan_scenarios"))} <input type="number" id="p-scenarios" value="10" min="1" max="200" required></label>
      <label>${esc(t("dash_caps"))} <input type="text" id="p-caps" value="0.1,0.05,0.02" pattern="[0-9., ]*"></label>
      <label>${esc(t("dash_verify"))} <input type="number" id="p-verify" value="0" min="0" max="2000"></label>
      <button class="primary" type="submit" id="p-run">${esc(t("dash_plan_run"))}</button>
    </fieldset></form>
    <div id="p-status"></div>
    ${table([t("plan_id"), t("dash_scenario"), t("dash_members"), t("dash_cap") + " %", t("dash_risk"),
      t("plan_million_usd"), t("dash_status"), t("created")], rows)}
    <p class="muted"><a href="/api/plans">JSON</a></p>`;
  document.getElementById("plan-form").onsubmit = (e) => { e.preventDefault(); startPlan(); };
}

// A job (plan, ensemble) followed until it is done: its progress and state shown in the
// elements named, its last state returned; a failed or cancelled job throws its error.
async function followJob(url, progressId, stateId, label = (status) => status) {
  for (;;) {
    const s = await api(url);
    document.getElementById(progressId).value = s.progress ?? 1;
    document.getElementById(stateId).textContent = label(s.status);
    if (s.status === "done") return s;
    if (["failed", "cancelled"].includes(s.status)) throw new Error(s.error || s.status);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function startPlan() {
  const val = (id) => document.getElementById(id).value;
  const caps = val("p-caps").split(",").map((x) => x.trim()).filter(Boolean).map(Number);
  const body = { scenario: val("p-scenario"), members: val("p-members"), cap: Number(val("p-cap")),
    risk: val("p-risk"), scenarios: Number(val("p-scenarios")), caps, verify: Number(val("p-verify")) };
  const box = document.getElementById("p-status");
  box.innerHTML = "";
  try {
    const created = await api("/api/plans", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    box.innerHTML = `<p>${esc(t("dash_progress"))}: <progress id="p-progress" max="1" value="0"></progress> <span id="p-state">queued</span></p>`;
    const s = await followJob(`/api/plans/${created.id}`, "p-progress", "p-state");
    location.hash = `#/plan/${s.plan_id}`;
  } catch (err) {
    box.innerHTML = `<p class="error" id="p-error">${esc(t("dash_error"))}: ${esc(err.message)}</p>`;
  }
}

async function planPage(id) {
  const p = await api(`/api/plans/${id}/report?lang=${state.lang}`);
  const items = p.bought.map((i) => [esc(i.holder), esc(i.product), { v: i.tonnes }, { v: i.cost }]);
  const shares = p.shares.map((r) => [esc(r.member), { v: r.shapley }, { v: r.demand }, { v: r.benefit },
    { v: r.standalone }, { v: r.dual }]);
  const checked = p.verification.map((r) => [esc(r.member), { v: r.exceed }, { v: r.worst }, { v: r.engine }, { v: r.program }]);
  view().innerHTML = `
    <h2 id="plan-title">${esc(t("plan_report_title"))}: ${esc(p.members)}</h2>
    <p class="muted">${esc(t("plan_id"))} ${esc(p.plan_id)} ·
      <a href="/api/plans/${id}/report.html?lang=${state.lang}" download="oreshock-plan-${id}-${state.lang}.html">${esc(t("dash_download"))}</a> ·
      <a id="plan-pdf" href="/api/plans/${id}/report.pdf?lang=${state.lang}&paper=a4">${esc(t("dash_download_pdf"))}</a> ·
      <a href="/api/plans/${id}/report?lang=${state.lang}">JSON</a></p>
    <section id="plan-summary"><p>${esc(p.headline)}</p></section>
    <section id="plan-items"><h3>${esc(t("plan_items"))}</h3>
      ${table([t("plan_holder"), t("plan_product"), t("plan_tonnes"), t("plan_cost")], items)}</section>
    <section id="plan-shares"><h3>${esc(t("plan_shares"))}</h3>
      ${table([t("plan_member"), t("plan_rule_shapley"), t("plan_rule_demand"), t("plan_rule_benefit"),
        t("plan_standalone"), t("plan_cap_dual")], shares)}
      ${p.charts.map((c, k) => `<figure id="plan-chart-${k}">${c}</figure>`).join("")}</section>
    ${checked.length ? `<section id="plan-verify"><h3>${esc(t("plan_verify_heading").replace("{n}", p.verify_scenarios))}</h3>
      ${table([t("plan_member"), t("plan_exceed_pct"), t("plan_worst_pct"), t("plan_engine_mean_pct"), t("plan_program_mean_pct")], checked)}</section>` : ""}`;
}

// ----------------------------------------------------------------- ensembles
// Ensembles: a form that starts one as a job (with its progress), the stored ones, and each
// ensemble's page (runs short over time, failure probability, PRIM boxes, Sobol indices).
function scenarioTitle(scenarios, nameId) {
  const s = scenarios.find((x) => x.name === nameId);
  if (!s) return nameId;
  return state.lang === "ja" ? s.title_ja || s.title : s.title;
}

// A variant as the reader names it: its title in the reader's language (else the other's),
// else its id; the base scenario is "base".
function variantTitle(scenarios, nameId, variant) {
  const titles = (scenarios.find((x) => x.name === nameId)?.variant_titles || {})[variant] || {};
  return namedVariant(variant, titles.en, titles.ja);
}

// A variant's title in the reader's language, else in the other, else its id; "base" for none.
function namedVariant(variant, en, ja) {
  if (!variant) return t("base");
  return (state.lang === "ja" ? ja || en : en || ja) || variant;
}

function ensembleStatus(status) {
  const key = `ens_status_${status}`;
  return state.text[key] ? t(key) : status;
}

async function ensemblesPage() {
  const [list, scenarios] = await Promise.all([api("/api/ensembles"), api("/api/scenarios")]);
  const scenarioOptions = scenarios.map((s) => s.variants.map((v) => (
    `<option value="${esc(s.name)}|${esc(v)}">${esc(scenarioTitle(scenarios, s.name))} / ${esc(variantTitle(scenarios, s.name, v))}</option>`
  )).join("")).join("");
  const countries = state.data.countries.filter((c) => !["WLD", "OTH", "XEU"].includes(c.iso3));
  const targets = countries.map((c) => (
    `<option value="${c.iso3}" ${c.iso3 === "JPN" ? "selected" : ""}>${esc(name(c))}</option>`)).join("");
  const rows = list.map((e) => {
    const id = e.ensemble_id || e.id;
    const link = e.ensemble_id ? `<a href="#/ensemble/${esc(id)}">${esc(scenarioTitle(scenarios, e.scenario))}</a>`
      : esc(scenarioTitle(scenarios, e.scenario));
    return [link, esc(variantTitle(scenarios, e.scenario, e.variant)), { v: e.runs ?? "–" }, esc(e.method ? t(`ens_method_${e.method}`) : ""),
      esc(ensembleStatus(e.status)), esc(String(e.created || "").replace("T", " ").slice(0, 19)), `<code>${esc(id)}</code>`];
  });
  view().innerHTML = `<h2>${esc(t("nav_ensembles"))}</h2>
    <form id="ens-form"><fieldset><legend>${esc(t("ens_new"))}</legend>
      <label>${esc(t("dash_scenario"))} <select id="e-scenario">${scenarioOptions}</select></label>
      <label>${esc(t("ens_runs"))} <input type="number" id="e-runs" value="20" min="1" max="100000" required></label>
      <label>${esc(t("ens_method"))} <select id="e-method"><option value="lhs">${esc(t("ens_method_lhs"))}</option>
        <option value="sobol">${esc(t("ens_method_sobol"))}</option></select></label>
      <label>${esc(t("ens_seed"))} <input type="number" id="e-seed" value="0" min="0" required></label>
      <label>${esc(t("ens_target"))} <select id="e-target">${targets}</select></label>
      <label>${esc(t("ens_batch_size"))} <input type="number" id="e-batch" value="500" min="1" max="100000" required></label>
      <label>${esc(t("ens_fail_rule"))} <input type="text" id="e-fail" placeholder="cumulative_shortfall_pct>5"></label>
      <label><input type="checkbox" id="e-stock" checked> ${esc(t("ens_stock_ranges"))}</label>
      <label>${esc(t("ens_extra_params"))} <textarea id="e-param" rows="2" cols="50" placeholder="responses.rerouting.growth=uniform:0.02:0.1"></textarea></label>
      <button class="primary" type="submit" id="e-run">${esc(t("ens_start"))}</button>
    </fieldset></form>
    <div id="e-status"></div>
    <div id="ens-list">${table([t("dash_scenario"), t("variant"), t("ens_runs"), t("ens_method"), t("dash_status"),
      t("created"), t("ens_id")], rows)}</div>
    <p class="muted"><a href="/api/ensembles">JSON</a></p>`;
  document.getElementById("ens-form").onsubmit = (e) => { e.preventDefault(); startEnsemble(); };
}

async function startEnsemble() {
  const val = (id) => document.getElementById(id).value;
  const [scenario, variant] = val("e-scenario").split("|");
  const body = { scenario, variant: variant || null, runs: Number(val("e-runs")), method: val("e-method"),
    seed: Number(val("e-seed")), target: val("e-target"), batch_size: Number(val("e-batch")) };
  if (val("e-fail").trim()) body.fail = val("e-fail").trim();
  body.stock_ranges = document.getElementById("e-stock").checked;
  body.param = val("e-param").split("\n").map((x) => x.trim()).filter(Boolean);
  const box = document.getElementById("e-status");
  box.innerHTML = "";
  try {
    const created = await api("/api/ensembles", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    box.innerHTML = `<p>${esc(t("dash_progress"))}: <progress id="e-progress" max="1" value="0"></progress> <span id="e-state">queued</span></p>`;
    await followJob(`/api/ensembles/${created.id}`, "e-progress", "e-state");
    location.hash = `#/ensemble/${created.id}`;
  } catch (err) {
    box.innerHTML = `<p class="error" id="e-error">${esc(t("dash_error"))}: ${esc(err.message)}</p>`;
  }
}

async function ensemblePage(id) {
  const [e, scenarios] = await Promise.all([api(`/api/ensembles/${id}?lang=${state.lang}`), api("/api/scenarios")]);
  const head = `<h2 id="ens-title">${esc(scenarioTitle(scenarios, e.scenario))}${e.variant ? " / " + esc(variantTitle(scenarios, e.scenario, e.variant)) : ""}</h2>
    <p class="muted">${esc(t("ens_id"))} <code>${esc(e.ensemble_id || id)}</code> · ${esc(t("ens_target"))} ${esc(e.target_name || "")} ·
      ${esc(t("ens_runs"))} ${esc(e.runs ?? "")} · ${esc(e.method ? t(`ens_method_${e.method}`) : "")} · ${esc(t("ens_seed"))} ${esc(e.seed ?? "")}
      · ${esc(t("horizon_months"))} ${esc(e.months ?? "")} · <a href="/api/ensembles/${id}?lang=${state.lang}">JSON</a></p>`;
  if (e.status !== "done" || e.ensemble_status !== "complete") {
    const text = t("ens_not_complete").replace("{status}", ensembleStatus(e.ensemble_status || e.status))
      .replace("{done}", e.batches_done ?? 0).replace("{batches}", e.batches ?? "?");
    view().innerHTML = `${head}<p class="error" id="ens-incomplete">${esc(text)}${e.error ? " " + esc(e.error) : ""}</p>`;
    return;
  }
  const f = e.failure;
  const failText = t("ens_failure_text").replace("{p}", `${pct(f.probability)}%`).replace("{failed}", f.failed)
    .replace("{runs}", f.runs).replace("{rule}", f.rule);
  const outcomes = e.outcomes.map((o) => [esc(o.name), esc(t(o.metric)), { v: num(o.p5, 2) }, { v: num(o.p50, 2) }, { v: num(o.p95, 2) }]);
  const boxes = e.prim.flatMap((b, k) => b.limits.map((l, j) => [j ? "" : `${esc(t("ens_box"))} ${k + 1}`, `<code>${esc(l.parameter)}</code>`,
    { v: num(l.low, 3) }, { v: num(l.high, 3) }, j ? "" : { v: num(b.coverage, 2) }, j ? "" : { v: num(b.density, 2) }]));
  const prim = e.prim.length ? table([t("ens_box"), t("ens_parameter"), t("ens_low"), t("ens_high"), t("ens_coverage"), t("ens_density")], boxes)
    : `<p>${esc(e.prim_skipped || "")}</p>`;
  const sobol = e.sobol ? table([t("ens_parameter"), "S1", "± S1", "ST", "± ST"], e.sobol.map((s) => [`<code>${esc(s.parameter)}</code>`,
    { v: num(s.S1, 3) }, { v: num(s.S1_conf, 3) }, { v: num(s.ST, 3) }, { v: num(s.ST_conf, 3) }]))
    + (e.sobol_warnings || []).map((w) => `<p class="muted">${esc(w)}</p>`).join("")
    : `<p class="muted">${esc(t("ens_sobol_none"))}</p>`;
  const params = e.parameters.map((p) => [`<code>${esc(p.name)}</code>`, esc(t(`ens_source_${p.source}`)),
    esc(Object.entries(p).filter(([k]) => !["name", "source", "integer"].includes(k)).map(([k, v]) => `${k} ${v}`).join(", "))]);
  const bands = (e.bands || []).map((c) => `<figure class="band" data-cell="${esc(c.cell)}">${c.svg}</figure>`).join("");
  view().innerHTML = `${head}
    <section id="ens-bands"><h3>${esc(t("ens_bands_heading"))}</h3>
      ${bands.length ? `<div class="band-grid">${bands}</div><p class="muted">${esc(t("ens_bands_note"))}</p>`
        : `<p class="muted" id="ens-bands-none">${esc(t("ens_bands_none"))}</p>`}</section>
    <section id="ens-timeline"><h3>${esc(t("ens_timeline_heading"))}</h3><figure>${e.timeline.svg}</figure>
      <p class="muted">${esc(t("ens_timeline_note"))}</p></section>
    <section id="ens-failure"><h3>${esc(t("ens_failure_heading"))}</h3><p><b>${esc(failText)}</b></p><p class="muted">${esc(f.basis)}</p></section>
    <section id="ens-outcomes"><h3>${esc(t("ens_outcomes_heading"))}</h3>
      ${table([t("ens_cell"), t("ens_outcome"), "p5", "p50", "p95"], outcomes)}</section>
    <section id="ens-prim"><h3>${esc(t("ens_prim_heading"))}</h3>${prim}</section>
    <section id="ens-sobol"><h3>${esc(t("ens_sobol_heading"))}</h3>${sobol}</section>
    <section id="ens-parameters"><h3>${esc(t("ens_parameters_heading"))}</h3>
      ${table([t("ens_parameter"), t("ens_source"), ""], params)}</section>`;
}

// -------------------------------------------------------------------- router
async function route() {
  const [path, query] = (location.hash.slice(1) || "/overview").split("?");
  const params = new URLSearchParams(query || "");
  translateStatic();
  delete view().dataset.ready;
  view().innerHTML = "…";
  try {
    if (path.startsWith("/run/")) await runPage(path.slice(5));
    else if (path === "/builder") await builder();
    else if (path === "/workbench") await scenarioWorkbench();  // builder.js
    else if (path === "/runs") await runsPage(params);
    else if (path === "/compare") await comparePage(params);
    else if (path === "/plans") await plansPage();
    else if (path.startsWith("/plan/")) await planPage(path.slice(6));
    else if (path === "/ensembles") await ensemblesPage();
    else if (path.startsWith("/ensemble/")) await ensemblePage(path.slice(10));
    else await overview(params);
    view().dataset.ready = path;
  } catch (err) {
    view().innerHTML = `<p class="error">${esc(t("dash_error"))}: ${esc(err.message)}</p>`;
  }
}

async function main() {
  [state.text, state.data] = await Promise.all([api("/api/i18n"), api("/api/datasets")]);
  document.querySelectorAll(".lang button").forEach((b) => {
    b.onclick = () => {
      state.lang = b.dataset.lang;
      localStorage.setItem("oreshock-lang", state.lang);
      route();
    };
  });
  window.addEventListener("hashchange", route);
  route();
}

main();
