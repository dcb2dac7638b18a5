// Scenario workbench (#/workbench): every element of the scenario format as a form, checked as
// the user types by the server (POST /api/scenarios/validate, the CLI's own checks), loaded
// from a shipped scenario or a YAML file, downloaded as YAML, and run with all its variants
// side by side. Plain JS, no build step; uses t, esc, api, table and state from app.js.
"use strict";

const WB = {
  base: null, variants: {}, tab: "", choices: null, shipped: [], timer: null, seq: 0,
  result: null, detail: "", runs: null,
};
const WB_STORE = "oreshock-workbench";
const WB_SHOCKS = ["export_ban", "export_quota", "licence_delay", "licensing", "reexport_control",
  "outage", "demand_surge"];
const WB_DISTS = { uniform: ["low", "high"], triangular: ["low", "mode", "high"],
  normal: ["mean", "sd"], lognormal: ["mean", "sd"] };
const WB_TAIL = [["minerals", "minerals"], ["stages", "stages"], ["elements", "elements"],
  ["start", "month"], ["end", "month"]];
// The fields of each element, in the order of docs/scenario.md: [key, widget, options].
const WB_FIELDS = {
  export_ban: [["exporter", "country"], ["destinations", "countries", { groups: true }],
    ["share", "num"], ...WB_TAIL],
  export_quota: [["exporter", "country"], ["destinations", "countries", { groups: true, all: true }],
    ["allowed", "num"], ...WB_TAIL],
  licence_delay: [["exporter", "country"], ["destinations", "countries", { groups: true, all: true }],
    ["months", "num"], ...WB_TAIL],
  licensing: [["exporter", "country"], ["destinations", "countries", { groups: true, all: true }],
    ["review_months", "num"], ["approval", "numlist"], ["stock_building_months", "num"],
    ["stock_building_share", "num"], ...WB_TAIL],
  reexport_control: [["origin", "country"], ["destinations", "countries", { groups: true }],
    ["share", "num"], ...WB_TAIL],
  outage: [["country", "country"], ["share", "num"], ...WB_TAIL],
  demand_surge: [["countries", "countries", { groups: true, all: true }], ["factor", "num"], ...WB_TAIL],
  general: [["name", "text"], ["title_en", "text"], ["title_ja", "text"], ["description", "textarea"],
    ["start", "month"], ["months", "num"], ["base_year", "num"], ["minerals", "minerals"],
    ["shortfall_threshold", "num"], ["end_use_priority", "sectors"]],
  variant_titles: [["variant_title_en", "text"], ["variant_title_ja", "text"]],
  buffers: [["commercial_stocks", "bool"], ["commercial_months", "cmonths"]],
  stockpiles: [["holder", "country", { groups: true }], ["joint", "bool"], ["minerals", "minerals"],
    ["stages", "stages"], ["months_of_demand", "num"], ["trigger", "num"], ["rate", "num"],
    ["floor", "num"]],
  sharing: [["group", "group"], ["share", "num"], ["start", "month"], ["minerals", "minerals"]],
  rerouting: [["delay_months", "num"], ["growth", "num"]],
  recycling: [["countries", "countries", { groups: true }], ["mineral", "mineral"], ["stage", "stage"],
    ["rate", "num"], ["start", "month"], ["ramp_months", "num"]],
  new_capacity: [["name", "text"], ["country", "country"], ["mineral", "mineral"], ["stage", "stage"],
    ["capacity", "num"], ["start", "month"], ["lead_months", "num"], ["ramp_months", "num"]],
  substitution: [["countries", "countries", { groups: true }], ["minerals", "minerals"],
    ["stages", "stages"], ["share", "num"], ["lag_months", "num"], ["ramp_months", "num"]],
  market: [["persistence", "num"], ["demand_elasticity", "num"], ["supply_elasticity", "num"],
    ["storage_elasticity", "num"], ["max_price_multiple", "num"], ["supply_lag_months", "num"],
    ["demand_lag_months", "num"]],
  plan: [["exporter", "country"], ["destinations", "countries", { groups: true }],
    ["start_months", "pair"], ["length_months", "pair"], ["leak_share", "pair"]],
};
const WB_LISTS = { stockpiles: ["buffers", "stockpiles"], sharing: ["responses", "sharing"],
  recycling: ["responses", "recycling"], new_capacity: ["responses", "new_capacity"],
  substitution: ["responses", "substitution"] };

// ------------------------------------------------------------- the document
const wbClone = (x) => (x === undefined ? undefined : JSON.parse(JSON.stringify(x)));
const wbIsMap = (x) => x !== null && typeof x === "object" && !Array.isArray(x);
const wbPath = (text) => text.split(".").map((k) => (/^\d+$/.test(k) ? Number(k) : k));

// As the loader merges a variant onto what it extends: mappings merge, anything else replaces.
function wbMerge(base, over) {
  if (!wbIsMap(base) || !wbIsMap(over)) return wbClone(over);
  const out = { ...base };
  Object.entries(over).forEach(([k, v]) => { out[k] = k in base ? wbMerge(base[k], v) : wbClone(v); });
  return out;
}

// The document a tab shows: the base, or a variant merged onto what it extends.
function wbResolve(name, seen = []) {
  const v = name ? WB.variants[name] : null;
  if (!v || seen.includes(name)) return wbClone(WB.base);
  const { extends: parent, ...over } = v;
  return wbMerge(wbResolve(parent, [...seen, name]), over);
}

// What a variant changes from what it extends: the override the file stores (lists and
// distributions whole, as the loader replaces them).
function wbDiff(now, before) {
  const out = {};
  Object.entries(now).forEach(([k, v]) => {
    if (!(k in before)) out[k] = wbClone(v);
    else if (wbIsMap(v) && wbIsMap(before[k]) && !("dist" in v)) {
      const d = wbDiff(v, before[k]);
      if (Object.keys(d).length) out[k] = d;
    } else if (JSON.stringify(v) !== JSON.stringify(before[k])) out[k] = wbClone(v);
  });
  Object.keys(before).forEach((k) => { if (!(k in now)) out[k] = null; });
  return out;
}

function wbSet(doc, path, value) {
  let node = doc;
  path.slice(0, -1).forEach((k, i) => {
    if (node[k] === null || typeof node[k] !== "object") node[k] = typeof path[i + 1] === "number" ? [] : {};
    node = node[k];
  });
  const last = path[path.length - 1];
  if (value !== undefined) node[last] = value;
  else if (Array.isArray(node)) node.splice(last, 1);
  else delete node[last];
}

const wbGet = (doc, path) => path.reduce((node, k) => (node === null || node === undefined ? undefined : node[k]), doc);

// The whole file: the base and its variants, as the server and the download take it.
function wbDocument() {
  const doc = wbClone(WB.base);
  if (Object.keys(WB.variants).length) doc.variants = wbClone(WB.variants);
  return doc;
}

// Store an edited tab: the base as it is, a variant as its difference from what it extends.
function wbCommit(doc) {
  if (!WB.tab) WB.base = doc;
  else {
    const parent = WB.variants[WB.tab].extends;
    WB.variants[WB.tab] = { ...(parent ? { extends: parent } : {}), ...wbDiff(doc, wbResolve(parent)) };
  }
  sessionStorage.setItem(WB_STORE, JSON.stringify(wbDocument()));
}

function wbEdit(path, value) {
  const doc = wbResolve(WB.tab);
  wbSet(doc, path, value);
  wbCommit(doc);
}

function wbLoad(doc) {
  const { variants, ...base } = doc;
  WB.base = base;
  WB.variants = wbIsMap(variants) ? variants : {};
  WB.tab = "";
  WB.runs = null;
  sessionStorage.setItem(WB_STORE, JSON.stringify(wbDocument()));
}

// ------------------------------------------------------------------ choices
const wbName = (item) => item[`name_${state.lang}`] || item.name_en;
const wbSorted = (items) => items.slice().sort((a, b) => wbName(a).localeCompare(wbName(b), state.lang));

function wbCountryName(id) {
  const c = WB.choices.countries.find((x) => x.iso3 === id) || WB.choices.groups.find((x) => x.group === id);
  return c ? wbName(c) : id;
}

function wbMineralsOf(value) {
  const all = WB.choices.minerals;
  const own = Array.isArray(value) ? value : WB.base.minerals;
  const ids = Array.isArray(own) ? own : all.map((m) => m.mineral);
  const found = all.filter((m) => ids.includes(m.mineral));
  return found.length ? found : all;
}

// Options of each kind of id, [id, name], for the minerals an element is about.
function wbOptions(kind, item, opts = {}) {
  const unique = (pairs) => [...new Map(pairs).entries()];
  if (kind === "country" || kind === "countries") {
    const groups = opts.groups ? wbSorted(WB.choices.groups).map((g) => [g.group, wbName(g)]) : [];
    return groups.concat(wbSorted(WB.choices.countries.filter((c) => !["WLD", "OTH"].includes(c.iso3)))
      .map((c) => [c.iso3, wbName(c)]));
  }
  if (kind === "group") return wbSorted(WB.choices.groups).map((g) => [g.group, wbName(g)]);
  if (kind === "minerals" || kind === "mineral") return WB.choices.minerals.map((m) => [m.mineral, wbName(m)]);
  const minerals = kind === "stage" ? wbMineralsOf(item.mineral ? [item.mineral] : undefined)
    : kind === "sectors" ? wbMineralsOf(undefined) : wbMineralsOf(item.minerals);
  if (kind === "stages" || kind === "stage") {
    return unique(minerals.flatMap((m) => m.stages.map((s) => [s.stage, wbName(s)])));
  }
  if (kind === "sectors") return unique(minerals.flatMap((m) => m.sectors.map((s) => [s.sector, wbName(s)])));
  let elements = minerals.flatMap((m) => m.elements);
  if (!elements.length) elements = WB.choices.minerals.flatMap((m) => m.elements);
  return unique(elements.map((e) => [e, `${t(`el_${e}`)} (${e})`]));
}

// ------------------------------------------------------------------ widgets
function wbOptionTags(pairs, selected) {
  const chosen = Array.isArray(selected) ? selected : [selected];
  const known = new Set(pairs.map(([id]) => id));
  const extra = chosen.filter((x) => x !== undefined && x !== null && x !== "" && !known.has(x))
    .map((x) => [x, String(x)]);  // an id the data lack stays, so the check can name it
  return extra.concat(pairs).map(([id, label]) => (
    `<option value="${esc(id)}" ${chosen.includes(id) ? "selected" : ""}>${esc(label)}</option>`)).join("");
}

function wbNumber(path, value, fallback) {
  const hint = fallback === undefined ? "" : `placeholder="${esc(t("wb_default"))} ${esc(fallback)}"`;
  return `<input type="number" step="any" data-path="${path}" data-kind="num" value="${esc(value ?? "")}" ${hint}>`;
}

function wbDistribution(path, value, fallback) {
  const dist = wbIsMap(value) ? value.dist : "";
  const kinds = ["", ...Object.keys(WB_DISTS)].map((k) => (
    `<option value="${k}" ${k === dist ? "selected" : ""}>${esc(t(`wb_dist_${k || "fixed"}`))}</option>`)).join("");
  const select = `<select data-path="${path}" data-kind="dist" aria-label="${esc(t("wb_dist"))}">${kinds}</select>`;
  if (!dist) return `${wbNumber(path, wbIsMap(value) ? "" : value, fallback)} ${select}`;
  const params = (WB_DISTS[dist] || Object.keys(value).filter((k) => k !== "dist")).map((p) => (
    `<span class="wb-param">${esc(t(`wb_dist_${p}`))} ${wbNumber(`${path}.${p}`, value[p])}</span>`)).join(" ");
  return `${select} ${params}`;
}

function wbControl(path, kind, value, item, opts = {}) {
  const at = `data-path="${path}"`;
  if (kind === "text") return `<input type="text" ${at} data-kind="text" value="${esc(value ?? "")}">`;
  if (kind === "textarea") return `<textarea ${at} data-kind="text" rows="2">${esc(value ?? "")}</textarea>`;
  if (kind === "month") return `<input type="text" ${at} data-kind="text" size="8" placeholder="YYYY-MM" value="${esc(value ?? "")}">`;
  if (kind === "num") return wbDistribution(path, value, opts.fallback);
  if (kind === "bool") return `<input type="checkbox" ${at} data-kind="bool" ${value ?? kindDefault(path) ? "checked" : ""}>`;
  if (kind === "numlist") {
    return `<input type="text" ${at} data-kind="numlist" value="${esc(Array.isArray(value) ? value.join(", ") : value ?? "")}">`;
  }
  if (kind === "pair") {
    const v = Array.isArray(value) ? value : [];
    const d = Array.isArray(opts.fallback) ? opts.fallback : [];
    return `${wbNumber(`${path}.0`, v[0], d[0])} – ${wbNumber(`${path}.1`, v[1], d[1])}`;
  }
  if (["country", "mineral", "stage", "group"].includes(kind)) {
    const blank = value === undefined || value === null ? `<option value="" selected></option>` : "";
    return `<select ${at} data-kind="one">${blank}${wbOptionTags(wbOptions(kind, item, opts), value)}</select>`;
  }
  if (kind === "sectors") return wbOrdered(path, value, item);
  if (kind === "cmonths") return wbMonthsBy(path, value);
  // a list of ids, or `all` where the field allows it (the default of a Targets field)
  const allowsAll = kind !== "countries" || opts.all;
  const all = allowsAll && (value === undefined || value === "all");
  const box = allowsAll ? `<label class="wb-all"><input type="checkbox" ${at} data-kind="all" ${all ? "checked" : ""}> ${esc(t("wb_all"))}</label>` : "";
  return `${box}<select multiple size="4" ${at} data-kind="ids" ${all ? "disabled" : ""}>${
    wbOptionTags(wbOptions(kind, item, opts), all ? [] : value ?? [])}</select>`;
}

function kindDefault(path) {
  return path === "buffers.commercial_stocks";  // the loader's default: true
}

function wbOrdered(path, value, item) {
  const list = Array.isArray(value) ? value : [];
  const rows = list.map((v, i) => `<span class="wb-row"><select data-path="${path}.${i}" data-kind="one">${
    wbOptionTags(wbOptions("sectors", item), v)}</select>
    <button type="button" data-action="remove" data-path="${path}.${i}">${esc(t("wb_remove"))}</button></span>`).join("");
  return `${rows}<button type="button" data-action="append" data-path="${path}">${esc(t("wb_add"))}</button>`;
}

function wbMonthsBy(path, value) {
  const rows = Object.entries(wbIsMap(value) ? value : {}).map(([iso3, months]) => (
    `<span class="wb-row"><select data-path="${path}" data-key="${esc(iso3)}" data-kind="rekey">${
      wbOptionTags(wbOptions("country", {}), iso3)}</select>
      ${wbNumber(`${path}.${iso3}`, months)}
      <button type="button" data-action="remove" data-path="${path}.${iso3}">${esc(t("wb_remove"))}</button></span>`
  )).join("");
  return `${rows}<button type="button" data-action="addkey" data-path="${path}">${esc(t("wb_add"))}</button>`;
}

const WB_SIMPLE = ["text", "textarea", "month", "bool", "numlist", "country", "mineral", "stage", "group"];

// A field: its name, its control(s) and the place for its problems. A field of one control
// is a label; one of several (a number and its distribution, ids and "all") is a named group.
function wbField(path, key, kind, value, item, opts) {
  const label = esc(t(`wbf_${key}`));
  const [open, close] = WB_SIMPLE.includes(kind) ? ["<label>", "</label>"]
    : [`<div class="wb-line" role="group" aria-label="${label}">`, "</div>"];
  return `<div class="wb-field" data-field="${path}">${open}<span class="wb-label">${label}</span>
    ${wbControl(path, kind, value, item, opts)}${close}<span class="wb-err"></span></div>`;
}

// The fields of one element (a group of WB_FIELDS), each number showing the loader's default.
function wbFields(prefix, group, item) {
  const defaults = (WB.choices.defaults || {})[group] || {};
  return WB_FIELDS[group].map(([key, kind, opts]) => wbField(`${prefix}${key}`, key, kind, item[key], item,
    { ...opts, fallback: defaults[key] })).join("");
}

function wbItems(kind, listPath, list) {
  const items = (Array.isArray(list) ? list : []).map((item, i) => {
    const path = `${listPath}.${i}`;
    const type = kind === "shocks" ? item.type : kind;
    const fields = WB_FIELDS[type] ? wbFields(`${path}.`, type, item) : "";
    return `<fieldset class="wb-item" data-field="${path}"><legend>${esc(t(`wbs_${type}`))}</legend>${fields}
      <span class="wb-err"></span>
      <button type="button" data-action="remove" data-path="${path}">${esc(t("wb_remove"))}</button></fieldset>`;
  }).join("");
  const add = kind === "shocks"
    ? `<select id="wb-add-shock">${WB_SHOCKS.map((s) => `<option value="${s}">${esc(t(`wbs_${s}`))}</option>`).join("")}</select>
       <button type="button" data-action="add-shock" data-path="${listPath}" id="wb-add-shock-btn">${esc(t("wb_add"))}</button>`
    : `<button type="button" data-action="append" data-path="${listPath}" id="wb-add-${kind}">${esc(t("wb_add"))}: ${esc(t(`wbs_${kind}`))}</button>`;
  return `<div class="wb-list" data-field="${listPath}">${items}<span class="wb-err"></span>${add}</div>`;
}

function wbOptional(path, key, value, body) {
  const on = value !== undefined && value !== null;
  return `<fieldset class="wb-item" data-field="${path}"><legend><label><input type="checkbox" data-path="${path}"
    data-kind="optional" id="wb-on-${key}" ${on ? "checked" : ""}> ${esc(t(`wbs_${key}`))}</label></legend>
    ${on ? body : ""}<span class="wb-err"></span></fieldset>`;
}

// ------------------------------------------------------------------- render
function wbForm(doc) {
  const buffers = wbIsMap(doc.buffers) ? doc.buffers : {};
  const responses = wbIsMap(doc.responses) ? doc.responses : {};
  const variant = WB.tab ? WB.variants[WB.tab] : null;
  const parents = ["", ...Object.keys(WB.variants).filter((v) => v !== WB.tab)];
  const head = variant ? `<fieldset class="wb-item"><legend>${esc(t("variant"))}: ${esc(WB.tab)}</legend>
      <div class="wb-field" data-field="variants.${esc(WB.tab)}.extends"><label><span class="wb-label">${esc(t("wbf_extends"))}</span>
      <select data-kind="extends" id="wb-extends">${parents.map((p) => (
        `<option value="${esc(p)}" ${p === (variant.extends || "") ? "selected" : ""}>${esc(p || t("base"))}</option>`)).join("")}</select>
      </label><span class="wb-err"></span></div>${wbFields("", "variant_titles", doc)}
      <button type="button" data-action="drop-variant" id="wb-drop-variant">${esc(t("wb_drop_variant"))}</button></fieldset>` : "";
  return `${head}
    <fieldset><legend>${esc(t("wb_general"))}</legend>${wbFields("", "general", doc)}</fieldset>
    <fieldset><legend>${esc(t("wb_shocks"))}</legend>${wbItems("shocks", "shocks", doc.shocks)}</fieldset>
    <fieldset><legend>${esc(t("wb_buffers"))}</legend>${wbFields("buffers.", "buffers", buffers)}
      ${wbItems("stockpiles", "buffers.stockpiles", buffers.stockpiles)}
      <div class="wb-field" data-field="buffers.stock_levels"><label><span class="wb-label">${esc(t("wbf_stock_levels"))}</span>
        <textarea data-path="buffers.stock_levels" data-kind="json" rows="2" placeholder="${esc(t("wb_levels_hint"))}">${
          esc(buffers.stock_levels === undefined ? "" : JSON.stringify(buffers.stock_levels))}</textarea></label><span class="wb-err"></span></div>
    </fieldset>
    <fieldset><legend>${esc(t("wb_responses"))}</legend>
      ${wbItems("sharing", "responses.sharing", responses.sharing)}
      ${wbOptional("responses.rerouting", "rerouting", responses.rerouting,
        wbFields("responses.rerouting.", "rerouting", responses.rerouting || {}))}
      ${wbItems("recycling", "responses.recycling", responses.recycling)}
      ${wbItems("new_capacity", "responses.new_capacity", responses.new_capacity)}
      ${wbItems("substitution", "responses.substitution", responses.substitution)}
    </fieldset>
    ${wbOptional("market", "market", doc.market, wbFields("market.", "market", doc.market || {}))}
    ${wbOptional("plan", "plan", doc.plan, wbFields("plan.", "plan", doc.plan || {}))}`;
}

function wbTabs() {
  const tab = (name, label) => `<button type="button" class="wb-tab ${WB.tab === name ? "active" : ""}"
    data-action="tab" data-tab="${esc(name)}">${esc(label)}</button>`;
  return `${tab("", t("base"))}${Object.keys(WB.variants).map((v) => tab(v, wbVariantTitle(v))).join("")}
    <input type="text" id="wb-new-variant" size="14" placeholder="${esc(t("wb_variant_name"))}" pattern="[A-Za-z0-9_-]+">
    <button type="button" data-action="add-variant" id="wb-add-variant">${esc(t("wb_add_variant"))}</button>`;
}

// Where a variant differs from what it extends, leaf by leaf (list items by position), to
// mark those fields.
function wbChanged(now, before, prefix = "") {
  const at = (k) => (prefix ? `${prefix}.${k}` : String(k));
  if (wbIsMap(now) && wbIsMap(before) && !("dist" in now) && !("dist" in before)) {
    return [...new Set([...Object.keys(now), ...Object.keys(before)])].flatMap((k) => wbChanged(now[k], before[k], at(k)));
  }
  if (Array.isArray(now) && Array.isArray(before)) {
    return [...Array(Math.max(now.length, before.length)).keys()].flatMap((i) => wbChanged(now[i], before[i], at(i)));
  }
  return JSON.stringify(now) === JSON.stringify(before) ? [] : [prefix];
}

function wbRender() {
  const box = document.getElementById("wb-form");
  if (!box) return;
  document.getElementById("wb-tabs").innerHTML = wbTabs();
  box.innerHTML = wbForm(wbResolve(WB.tab));
  wbFurtherChoices();
  if (WB.tab) {
    const own = wbChanged(wbResolve(WB.tab), wbResolve(WB.variants[WB.tab].extends));
    box.querySelectorAll(".wb-field, .wb-item").forEach((el) => {
      const field = el.dataset.field || "";
      const leaf = el.classList.contains("wb-field");
      if (own.some((p) => p === field || (leaf && (p.startsWith(`${field}.`) || field.startsWith(`${p}.`))))) {
        el.classList.add("wb-own");
        el.title = t("wb_own");
      }
    });
  }
  wbShowProblems();
}

async function scenarioWorkbench() {
  [WB.choices, WB.shipped] = await Promise.all([api("/api/scenarios/choices"), api("/api/scenarios")]);
  if (!WB.base) {
    let kept = null;
    try {
      kept = JSON.parse(sessionStorage.getItem(WB_STORE) || "null");
    } catch (err) {
      kept = null;  // a damaged copy of the last session: start afresh
    }
    wbLoad(wbIsMap(kept) ? kept : { name: "new-scenario", start: "2026-01", shocks: [] });
  }
  const shipped = WB.shipped.map((s) => (
    `<option value="${esc(s.name)}" ${s.name === WB.base.name ? "selected" : ""}>${esc(state.lang === "ja" ? s.title_ja || s.title : s.title)}</option>`)).join("");
  view().innerHTML = `<h2>${esc(t("nav_workbench"))}</h2>
    <div id="wb" class="wb">
    <fieldset><legend>${esc(t("wb_file"))}</legend>
      <label>${esc(t("dash_shipped"))} <select id="wb-shipped">${shipped}</select></label>
      <button type="button" id="wb-load">${esc(t("wb_load"))}</button>
      <label class="wb-button">${esc(t("wb_upload"))}<input type="file" id="wb-upload" hidden
        accept=".yaml,.yml,text/yaml,application/yaml"></label>
      <button type="button" id="wb-download">${esc(t("wb_download"))}</button>
      <button type="button" id="wb-new">${esc(t("wb_new"))}</button>
    </fieldset>
    <p id="wb-status" class="wb-status" aria-live="polite"></p>
    <ul id="wb-problems" class="error"></ul>
    <div id="wb-tabs" class="wb-tabs"></div>
    <form id="wb-form" novalidate></form>
    <p><button class="primary" type="button" id="wb-run">${esc(t("wb_run_all"))}</button></p>
    <div id="wb-results"></div>
    <fieldset id="wb-further"><legend>${esc(t("wb_further"))}</legend>
      <label>${esc(t("variant"))} <select id="wb-ens-variant"></select></label>
      <label>${esc(t("wb_ens_runs"))} <input type="number" id="wb-ens-runs" value="100" min="1" max="20000"></label>
      <button type="button" id="wb-ensemble">${esc(t("wb_ensemble"))}</button>
      <label>${esc(t("dash_members"))} <select id="wb-plan-members"></select></label>
      <label>${esc(t("dash_cap"))} <input type="number" id="wb-plan-cap" value="0.05" min="0.001" max="1" step="any"></label>
      <label>${esc(t("dash_plan_scenarios"))} <input type="number" id="wb-plan-scenarios" value="10" min="1" max="200"></label>
      <button type="button" id="wb-plan">${esc(t("wb_plan"))}</button>
      <p id="wb-further-status" aria-live="polite"></p>
    </fieldset>
    </div>`;
  wbWire();
  wbRender();
  wbRenderRuns();
  wbValidate();
}

// ------------------------------------------------------------------- events
function wbValue(el) {
  const kind = el.dataset.kind;
  const text = el.value.trim();
  if (kind === "num") return text === "" ? undefined : Number(text);
  if (kind === "bool") return el.checked;
  if (kind === "one") return el.value === "" ? undefined : el.value;
  if (kind === "ids") return [...el.selectedOptions].map((o) => o.value);
  if (kind === "numlist") {
    return text === "" ? undefined : text.split(",").map((x) => x.trim()).map((x) => (x !== "" && !Number.isNaN(Number(x)) ? Number(x) : x));
  }
  // an empty month is no month; an emptied text of a variant is "" (an override cannot unset)
  if (el.value === "") return WB.tab && el.placeholder !== "YYYY-MM" ? "" : undefined;
  return el.value;
}

function wbJson(el) {
  const err = el.closest(".wb-field").querySelector(".wb-err");
  if (el.value.trim() === "") { err.textContent = ""; wbEdit(wbPath(el.dataset.path), undefined); return; }
  try {
    wbEdit(wbPath(el.dataset.path), JSON.parse(el.value));
    err.textContent = "";
  } catch (exc) {
    err.textContent = `${t("wb_not_json")}: ${exc.message}`;
  }
}

function wbOnInput(e) {
  const el = e.target;
  if (!el.dataset || !el.dataset.path || !["num", "text", "numlist", "json"].includes(el.dataset.kind)) return;
  if (el.dataset.kind === "json") wbJson(el);
  else wbEdit(wbPath(el.dataset.path), wbValue(el));
  wbSchedule();
}

function wbOnChange(e) {
  const el = e.target;
  const kind = el.dataset && el.dataset.kind;
  if (!kind || ["num", "text", "numlist", "json"].includes(kind)) return;
  const path = el.dataset.path ? wbPath(el.dataset.path) : null;
  if (kind === "dist") {
    const dist = el.value;
    wbEdit(path, dist ? { dist, ...Object.fromEntries(WB_DISTS[dist].map((p) => [p, null])) } : undefined);
  } else if (kind === "all") {
    wbEdit(path, el.checked ? "all" : []);
  } else if (kind === "optional") {
    wbEdit(path, el.checked ? {} : undefined);
  } else if (kind === "rekey") {
    const doc = wbResolve(WB.tab);
    const by = wbGet(doc, path) || {};
    const entries = Object.entries(by).map(([k, v]) => [k === el.dataset.key ? el.value : k, v]);
    wbSet(doc, path, Object.fromEntries(entries));
    wbCommit(doc);
  } else if (kind === "extends") {
    const doc = wbResolve(WB.tab);
    WB.variants[WB.tab] = el.value ? { extends: el.value } : {};
    wbCommit(doc);
  } else {
    wbEdit(path, wbValue(el));
  }
  wbRender();
  wbSchedule();
}

function wbNewItem(listPath) {
  const doc = wbResolve(WB.tab);
  const start = doc.start || "2026-01";
  const kind = listPath[listPath.length - 1];
  if (kind === "end_use_priority") return undefined;
  const blank = { stockpiles: {}, sharing: { start }, recycling: { start }, new_capacity: { start },
    substitution: {} };
  return wbClone(blank[kind] || {});
}

function wbOnClick(e) {
  const el = e.target.closest("button[data-action]");
  if (!el) return;
  const action = el.dataset.action;
  const path = el.dataset.path ? wbPath(el.dataset.path) : null;
  const doc = wbResolve(WB.tab);
  if (action === "tab") { WB.tab = el.dataset.tab; wbRender(); return; }
  if (action === "remove") wbSet(doc, path, undefined);
  else if (action === "add-shock") {
    const list = Array.isArray(wbGet(doc, path)) ? wbGet(doc, path) : [];
    list.push({ type: document.getElementById("wb-add-shock").value, start: doc.start || "2026-01" });
    wbSet(doc, path, list);
  } else if (action === "append") {
    const list = Array.isArray(wbGet(doc, path)) ? wbGet(doc, path) : [];
    const item = wbNewItem(path);
    list.push(item === undefined ? wbOptions("sectors", {})[0]?.[0] : item);
    wbSet(doc, path, list);
  } else if (action === "addkey") {
    const by = wbGet(doc, path) || {};
    const free = wbOptions("country", {}).find(([id]) => !(id in by));
    if (free) by[free[0]] = null;
    wbSet(doc, path, by);
  } else if (action === "add-variant") {
    const name = document.getElementById("wb-new-variant").value.trim();
    if (!name || name in WB.variants) return;
    WB.variants[name] = WB.tab ? { extends: WB.tab } : {};
    WB.tab = name;
    wbCommit(wbResolve(name));
    wbRender();
    wbSchedule();
    return;
  } else if (action === "drop-variant") {
    wbDropVariant(WB.tab);
    wbRender();
    wbSchedule();
    return;
  }
  wbCommit(doc);
  wbRender();
  wbSchedule();
}

// A variant others extend is dropped without changing them: each is written again as its
// difference from what the dropped one extended.
function wbDropVariant(gone) {
  const parent = WB.variants[gone].extends;
  const kids = Object.keys(WB.variants).filter((n) => WB.variants[n].extends === gone)
    .map((n) => [n, wbResolve(n)]);
  delete WB.variants[gone];
  kids.forEach(([n, doc]) => {
    WB.variants[n] = { ...(parent ? { extends: parent } : {}), ...wbDiff(doc, wbResolve(parent)) };
  });
  WB.tab = "";
  wbCommit(wbResolve(""));
}

function wbWire() {
  const form = document.getElementById("wb-form");
  form.addEventListener("input", wbOnInput);
  form.addEventListener("change", wbOnChange);
  document.getElementById("wb").addEventListener("click", wbOnClick);
  document.getElementById("wb-load").onclick = async () => {
    const name = document.getElementById("wb-shipped").value;
    wbPending();
    try {
      wbLoad((await api(`/api/scenarios/${encodeURIComponent(name)}/file`)).document);
    } catch (err) {
      WB.result = null;
      WB.detail = err.message;
      wbShowProblems();
      return;
    }
    wbRender();
    wbRenderRuns();
    wbValidate();
  };
  document.getElementById("wb-new").onclick = () => {
    wbLoad({ name: "new-scenario", start: "2026-01", shocks: [] });
    wbRender();
    wbRenderRuns();
    wbValidate();
  };
  document.getElementById("wb-upload").onchange = (e) => wbUpload(e.target.files[0]);
  document.getElementById("wb-download").onclick = wbDownload;
  document.getElementById("wb-run").onclick = wbRunAll;
  document.getElementById("wb-ensemble").onclick = wbEnsemble;
  document.getElementById("wb-plan").onclick = wbPlan;
}

// ------------------------------------------------- ensembles and plans of it
// The scenario as it stands goes to POST /api/ensembles or /api/plans as a document; the job
// is followed here and its page opened when it is done.
function wbFurtherChoices() {
  const variants = document.getElementById("wb-ens-variant");
  if (!variants) return;
  const chosen = variants.value;
  variants.innerHTML = [["", t("base")], ...Object.keys(WB.variants).map((v) => [v, v])].map(([v, label]) => (
    `<option value="${esc(v)}" ${v === chosen ? "selected" : ""}>${esc(label)}</option>`)).join("");
  const members = document.getElementById("wb-plan-members");
  const group = members.value || "g7plus";
  members.innerHTML = wbSorted(WB.choices.groups).map((g) => (
    `<option value="${esc(g.group)}" ${g.group === group ? "selected" : ""}>${esc(wbName(g))}</option>`)).join("");
}

async function wbFollow(kind, body, page) {
  const box = document.getElementById("wb-further-status");
  const result = await wbValidate();
  if (!result || !result.valid) { box.textContent = t("wb_fix_first"); return; }
  box.innerHTML = `${esc(t("dash_progress"))}: <progress id="wb-further-progress" max="1" value="0"></progress>
    <span id="wb-further-state">${esc(t("wb_status_queued"))}</span>`;
  try {
    const created = await api(`/api/${kind}`, { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ scenario: wbDocument(), ...body }) });
    const s = await followJob(`/api/${kind}/${created.id}`, "wb-further-progress", "wb-further-state",
      (status) => t(`wb_status_${status}`));  // app.js
    location.hash = page(created, s);
  } catch (err) {
    box.innerHTML = `<span class="error" id="wb-further-error">${esc(t("dash_error"))}: ${esc(err.message)}</span>`;
  }
}

function wbEnsemble() {
  const variant = document.getElementById("wb-ens-variant").value || null;
  const runs = Number(document.getElementById("wb-ens-runs").value);
  return wbFollow("ensembles", { variant, runs, batch_size: Math.min(100, Math.max(1, runs)) },
    (created) => `#/ensemble/${created.id}`);
}

function wbPlan() {
  const val = (id) => document.getElementById(id).value;
  return wbFollow("plans", { variant: val("wb-ens-variant") || null, members: val("wb-plan-members"),
    cap: Number(val("wb-plan-cap")), scenarios: Number(val("wb-plan-scenarios")) },
  (created, s) => `#/plan/${s.plan_id}`);
}

// --------------------------------------------------------------- validation
function wbFileName() {
  const stem = String(WB.base.name || "scenario").replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "");
  return `${(stem || "scenario").slice(0, 90)}.yaml`;
}

// The status says "checking" from the moment the document changes (or a file is being read)
// until the server's answer to the document as it is then.
function wbPending() {
  clearTimeout(WB.timer);
  WB.seq += 1;  // an answer to an older document is not shown
  const status = document.getElementById("wb-status");
  if (status) status.dataset.state = "checking";
}

function wbSchedule() {
  wbPending();
  WB.timer = setTimeout(wbValidate, 400);
}

async function wbPost(body, type) {
  const res = await fetch(`/api/scenarios/validate?name=${encodeURIComponent(wbFileName())}`, {
    method: "POST", headers: { "Content-Type": type }, body });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(answer.detail || res.statusText);
  return answer;
}

async function wbValidate() {
  clearTimeout(WB.timer);
  const seq = ++WB.seq;
  const status = document.getElementById("wb-status");
  if (status) status.dataset.state = "checking";
  let result = null;
  let detail = "";
  try {
    result = await wbPost(JSON.stringify(wbDocument()), "application/json");
  } catch (err) {
    detail = err.message;
  }
  if (seq !== WB.seq) return null;
  WB.result = result;
  WB.detail = detail;
  wbShowProblems();
  return result;
}

// Each problem beside its field (the nearest enclosing one the form has), and all of them,
// as the CLI says them, in the list above the form.
function wbShowProblems() {
  const status = document.getElementById("wb-status");
  const list = document.getElementById("wb-problems");
  if (!status || !list) return;
  document.querySelectorAll("#wb-form .wb-err").forEach((el) => { el.textContent = ""; });
  document.querySelectorAll("#wb-form .wb-bad").forEach((el) => el.classList.remove("wb-bad"));
  const r = WB.result;
  if (!r) {
    status.dataset.state = WB.detail ? "refused" : "checking";
    status.textContent = WB.detail ? t("wb_refused") : t("wb_checking");
    list.innerHTML = WB.detail ? `<li>${esc(WB.detail)}</li>` : "";
    return;
  }
  status.dataset.state = r.valid ? "valid" : "invalid";
  status.textContent = r.valid ? t("wb_valid").replace("{n}", r.variants.length)
    : t("wb_invalid").replace("{n}", r.errors.length);
  const all = r.errors.concat(r.warnings.map((w) => ({ ...w, warning: true })));
  list.innerHTML = all.map((p) => `<li class="${p.warning ? "wb-warning" : ""}">${esc(p.warning ? `${t("wb_warning")}: ` : "")}${esc(p.message)}</li>`).join("");
  all.filter((p) => (p.variant || "") === WB.tab || !p.variant).forEach((p) => {
    const parts = (p.field || "").split(".");
    for (let n = parts.length; n >= 0; n -= 1) {
      const box = document.querySelector(`#wb-form [data-field="${CSS.escape(parts.slice(0, n).join("."))}"]`);
      const err = box && box.querySelector(":scope > .wb-err");
      if (err) {
        err.textContent += `${err.textContent ? " · " : ""}${p.why}`;
        box.classList.add("wb-bad");
        return;
      }
    }
  });
}

// ----------------------------------------------------------- file in and out
async function wbUpload(file) {
  if (!file) return;
  wbPending();
  try {
    const result = await wbPost(await file.text(), "application/yaml");
    wbLoad(result.document);
    wbRender();
    wbRenderRuns();
    await wbValidate();
  } catch (err) {
    WB.result = null;
    WB.detail = `${file.name}: ${err.message}`;
    wbShowProblems();
  }
}

async function wbDownload() {
  const result = await wbValidate();
  if (!result) return;
  const url = URL.createObjectURL(new Blob([result.yaml], { type: "application/yaml" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = wbFileName();
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// -------------------------------------------------------------------- runs
async function wbRunAll() {
  const result = await wbValidate();
  if (!result || !result.valid) return;
  const doc = wbDocument();
  const variants = [null, ...result.variants];
  WB.runs = variants.map((variant) => ({ variant, status: "queued", progress: 0 }));
  wbRenderRuns();
  try {
    for (const run of WB.runs) {
      const made = await api("/api/runs", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ scenario: doc, variant: run.variant }) });
      run.id = made.id;
    }
    const going = () => WB.runs.filter((r) => ["queued", "running"].includes(r.status));
    while (going().length) {
      await new Promise((ok) => setTimeout(ok, 400));
      for (const run of going()) {
        const s = await api(`/api/runs/${run.id}`);
        Object.assign(run, { status: s.status, progress: s.progress ?? 1, error: s.error,
          run_id: s.run_id, summary: s.summary });
      }
      wbRenderRuns();
    }
  } catch (err) {
    WB.runs.error = err.message;
  }
  wbRenderRuns();
}

function wbStageName(mineral, stage) {
  const m = WB.choices.minerals.find((x) => x.mineral === mineral);
  const s = m && m.stages.find((x) => x.stage === stage);
  return s ? wbName(s) : stage;
}

// A variant of the edited file as the reader names it: its own title in the reader's
// language (else the other's), else its name.
function wbVariantTitle(variant) {
  const own = WB.variants[variant] || {};
  return namedVariant(variant, own.variant_title_en, own.variant_title_ja);  // app.js
}

// The variants side by side: for each country and stage short in any of them, months to the
// first shortfall, peak and cumulative shortfall (% of demand), each run's page linked.
function wbRenderRuns() {
  const box = document.getElementById("wb-results");
  if (!box) return;
  const runs = WB.runs;
  if (!runs) { box.innerHTML = ""; return; }
  const label = (r) => wbVariantTitle(r.variant);
  const progress = runs.map((r) => `<li>${esc(label(r))}: <progress max="1" value="${r.progress || 0}"></progress>
    ${esc(t(`wb_status_${r.status}`))}${r.error ? ` <span class="error">${esc(r.error)}</span>` : ""}</li>`).join("");
  const done = runs.filter((r) => r.status === "done");
  let side = "";
  if (done.length === runs.length) {
    const keys = new Map();
    done.forEach((r) => (r.summary || []).forEach((s) => {
      if (s.cumulative_shortfall_pct > 0.05) keys.set(`${s.country}|${s.mineral}|${s.stage}`, s);
    }));
    const order = (k) => {
      const [country, mineral, stage] = k.split("|");
      const m = WB.choices.minerals.find((x) => x.mineral === mineral);
      return [wbCountryName(country), mineral, m ? m.stages.findIndex((x) => x.stage === stage) : 0];
    };
    const byName = (a, b) => {
      const [x, y] = [order(a), order(b)];
      return x[0].localeCompare(y[0], state.lang) || x[1].localeCompare(y[1]) || x[2] - y[2];
    };
    const rows = [...keys.keys()].sort(byName).map((k) => {
      const [country, mineral, stage] = k.split("|");
      return [esc(wbCountryName(country)), esc(wbStageName(mineral, stage)), ...done.map((r) => {
        const s = (r.summary || []).find((x) => x.country === country && x.mineral === mineral && x.stage === stage);
        return { v: s ? `${s.months_to_shortfall ?? t("never")} / ${num(s.peak_shortfall_pct)}% / ${num(s.cumulative_shortfall_pct)}%` : "–" };
      })];
    });
    const heads = done.map((r) => `<th><a href="#/run/${esc(r.run_id)}">${esc(label(r))}</a></th>`).join("");
    const body = rows.map((row) => `<tr>${row.map((c) => (typeof c === "object"
      ? `<td class="num">${esc(c.v)}</td>` : `<td>${c}</td>`)).join("")}</tr>`).join("");
    side = `<p class="muted">${esc(t("months_to_shortfall"))} / ${esc(t("peak_shortfall_pct"))} / ${esc(t("cumulative_shortfall_pct"))}</p>
      <div class="wb-scroll"><table id="wb-side"><tr><th>${esc(t("country"))}</th><th>${esc(t("stage"))}</th>${heads}</tr>${body}</table></div>
      ${rows.length ? "" : `<p>${esc(t("wb_no_shortfall"))}</p>`}
      <p><a id="wb-compare" href="#/compare?ids=${done.map((r) => esc(r.run_id)).join(",")}">${esc(t("nav_compare"))}</a></p>`;
  }
  box.innerHTML = `<h3>${esc(t("wb_results"))}</h3><ul id="wb-progress">${progress}</ul>
    ${runs.error ? `<p class="error">${esc(t("dash_error"))}: ${esc(runs.error)}</p>` : ""}${side}`;
}
