// pybpf viewer: draws the run embedded in #pybpf-data and steps through it.
// Keys: ArrowRight / j  next step, ArrowLeft / k  previous step, Home / End  first / last,
//       f  the failing instruction, n / p  next / previous path, t  all steps <-> failing path.
(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("pybpf-data").textContent);
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  let run = null, pos = 0, order = [], onlyFailing = false, rows = [];

  function hexU64(s) { return "0x" + BigInt(s).toString(16); }

  function failingSteps(r) {
    // the steps of the failing path's history: each path of the chain up to where the next
    // one branched off, then the failing path to its end
    if (r.kind !== "verifier" || r.failing === null) return [];
    const chain = r.chain, out = [];
    for (let c = 0; c < chain.length; c++) {
      const p = r.paths[chain[c]];
      const stop = c + 1 < chain.length ? r.paths[chain[c + 1]].branch_step : r.steps.length - 1;
      if (p.first < 0) continue;
      for (let s = p.first; s <= stop && s < r.steps.length; s++) {
        if (r.steps[s][0] === p.id) out.push(s);
      }
    }
    return out;
  }

  function buildListing() {
    const t = $("listing-table");
    t.textContent = "";
    rows = [];
    const L = run.listing, showSrc = Object.values(L.sources).some(
      (s) => /\.(c|h|py)$/.test(s[0]));
    const head = el("tr");
    for (const h of ["#", "slot", "line", "instruction", "runs"]) head.appendChild(el("th", "", h));
    t.appendChild(head);
    let lastSrc = null;
    const hits = new Array(L.texts.length).fill(0);
    const stepInsn = run.kind === "vm" ? (s) => s[0] : (s) => s[1];
    for (const s of run.steps) hits[stepInsn(s)] = (hits[stepInsn(s)] || 0) + 1;
    const onpath = new Set(run.failSteps.map((s) => stepInsn(run.steps[s])));
    L.texts.forEach((text, i) => {
      for (const lab of L.labels[i] || []) {
        const r = el("tr", "label"); const c = el("td", "", lab + ":"); c.colSpan = 5;
        r.appendChild(c); t.appendChild(r);
      }
      const src = L.sources[i];
      if (showSrc && src && (lastSrc === null || lastSrc[0] !== src[0] || lastSrc[1] !== src[1])) {
        const r = el("tr", "src"); const c = el("td", "", `${src[0]}:${src[1]}  ${src[2].trim()}`);
        c.colSpan = 5; r.appendChild(c); t.appendChild(r);
      }
      if (src) lastSrc = src;
      const r = el("tr", "insn");
      r.dataset.i = i;
      r.appendChild(el("td", "idx", String(i)));
      r.appendChild(el("td", "slot", String(L.slots[i])));
      r.appendChild(el("td", "line", src ? String(src[1]) : ""));
      r.appendChild(el("td", "text", text));
      r.appendChild(el("td", "hits", hits[i] ? String(hits[i]) : ""));
      if (!hits[i]) r.classList.add("unvisited");
      if (onpath.has(i)) r.classList.add("onpath");
      if (i === run.failInsn) r.classList.add("fail");
      r.addEventListener("click", () => { const s = firstStepAt(i); if (s >= 0) go(order.indexOf(s)); });
      t.appendChild(r);
      rows[i] = r;
    });
  }

  function firstStepAt(i) {
    const at = run.kind === "vm" ? 0 : 1;
    const cur = order[pos];
    for (const s of order) if (s > cur && run.steps[s][at] === i) return s;
    for (const s of order) if (run.steps[s][at] === i) return s;
    return -1;
  }

  function buildPaths() {
    const box = $("paths");
    if (run.kind !== "verifier") { box.hidden = true; return; }
    box.hidden = false;
    const ol = $("path-list");
    ol.textContent = "";
    const chain = new Set(run.chain);
    for (const p of run.paths) {
      const from = p.from === null ? "entry" : `insn ${p.from} (other side)`;
      const li = el("li", "", `from ${from} → insn ${p.start}: ${p.steps} insns, ${p.end}`);
      li.dataset.path = p.id;
      if (p.id === run.failing) li.classList.add("failing");
      else if (chain.has(p.id)) li.classList.add("inchain");
      li.addEventListener("click", () => { if (p.first >= 0) { setOnly(false); go(order.indexOf(p.first)); } });
      ol.appendChild(li);
    }
    $("path-count").textContent = `${run.paths.length} paths, ${run.processed} insns processed` +
      (run.dropped ? `, ${run.dropped} steps in the middle not kept` : "");
  }

  function regRow(name, val, ptr, changed) {
    const r = el("tr", changed ? "changed" : "");
    r.appendChild(el("td", "reg", name));
    r.appendChild(el("td", "val", val));
    if (ptr !== undefined) r.appendChild(el("td", "ptr", ptr));
    return r;
  }

  function drawVerifier(s, prev) {
    const [path, insn, regs, stack, frame, note] = run.steps[s];
    const t = $("regs"); t.textContent = "";
    regs.forEach((v, r) => {
      const before = prev && prev[0] === path ? prev[2][r] : v;
      if (v !== null) t.appendChild(regRow(`R${r}`, v, undefined, before !== v));
    });
    const st = $("stack"); st.textContent = "";
    const old = new Map(prev && prev[0] === path ? prev[3].map((x) => [x[0], x[1]]) : stack.map((x) => [x[0], x[1]]));
    for (const [off, text] of stack) st.appendChild(regRow(`fp${off}`, text, undefined, old.get(off) !== text));
    $("stack-h").textContent = `Stack (frame ${frame})`;
    const n = $("note");
    const rejected = note === "rejected";
    n.textContent = rejected ? `rejected here: ${run.verdict.message || ""}` :
      note ? note : `path ${path}`;
    n.className = rejected ? "bad" : "";
    for (const li of $("path-list").children) li.classList.toggle("active", Number(li.dataset.path) === path);
    return insn;
  }

  function memoryAt(s) {
    // the bytes of each region after step s: what was there first (the input memory, or
    // the old bytes of the first write to each byte), then every write up to step s
    const regions = new Map();
    const get = (name) => { if (!regions.has(name)) regions.set(name, new Map()); return regions.get(name); };
    const put = (m, off, hex, keep) => {
      for (let i = 0; i < hex.length / 2; i++) if (!keep || !m.has(off + i)) m.set(off + i, hex.substr(2 * i, 2));
    };
    for (const [name, hex] of Object.entries(run.initial || {})) put(get(name), 0, hex, true);
    for (const step of run.steps) for (const [region, off, oldHex] of step[4]) put(get(region), off, oldHex, true);
    for (let k = 0; k <= s; k++) for (const [region, off, , newHex] of run.steps[k][4]) put(get(region), off, newHex, false);
    return regions;
  }

  function drawVM(s, prev) {
    const [pc, depth, regs, ptrs, changes] = run.steps[s];
    const t = $("regs"); t.textContent = "";
    regs.forEach((v, r) => {
      const changed = prev ? prev[2][r] !== v : false;
      if (v !== "0" || changed) t.appendChild(regRow(`r${r}`, hexU64(v) + ` (${v})`, ptrs[r] || "", changed));
    });
    const st = $("stack"); st.textContent = "";
    $("stack-h").textContent = "Memory";
    const written = new Map();
    for (const [region, off, , newHex] of changes)
      for (let i = 0; i < newHex.length / 2; i++) written.set(`${region}:${off + i}`, true);
    for (const [region, bytes] of memoryAt(s)) {
      const offs = [...bytes.keys()].sort((a, b) => a - b);
      if (!offs.length) continue;
      const r = el("tr"); r.appendChild(el("td", "reg", region));
      const c = el("td", "val hex");
      // runs of consecutive known bytes, 16 to a line, each line labelled with its offset
      let line = 0, next = null;
      for (const o of offs) {
        if (o !== next || line === 16) {
          if (next !== null) c.appendChild(document.createTextNode("\n"));
          c.appendChild(document.createTextNode(`${o >= 0 ? "+" : ""}${o}: `));
          line = 0;
        }
        const b = bytes.get(o);
        if (written.has(`${region}:${o}`)) c.appendChild(el("b", "", b)); else c.appendChild(document.createTextNode(b));
        c.appendChild(document.createTextNode(" "));
        line++; next = o + 1;
      }
      r.appendChild(c); st.appendChild(r);
    }
    const n = $("note");
    const last = s === run.steps.length - 1;
    n.textContent = last && run.fault ? `fault: ${run.fault.message}` : depth ? `call depth ${depth}` : "";
    n.className = last && run.fault ? "bad" : "";
    return pc;
  }

  function go(p) {
    if (!order.length) { $("pos").textContent = "no steps"; return; }
    pos = Math.max(0, Math.min(order.length - 1, p));
    const s = order[pos], prev = pos > 0 ? run.steps[order[pos - 1]] : null;
    const insn = run.kind === "verifier" ? drawVerifier(s, prev) : drawVM(s, prev);
    for (const r of document.querySelectorAll("tr.insn.current")) r.classList.remove("current");
    const row = rows[insn];
    if (row) { row.classList.add("current"); row.scrollIntoView({ block: "nearest" }); }
    $("pos").textContent = `step ${pos + 1} / ${order.length}` + (onlyFailing ? " (failing path)" : "") +
      ` · insn ${insn}`;
    $("prev").disabled = $("first").disabled = pos === 0;
    $("next").disabled = $("last").disabled = pos === order.length - 1;
    document.body.dataset.step = String(pos);
    document.body.dataset.insn = String(insn);
  }

  function setOnly(v) {
    const s = order[pos];
    onlyFailing = v && run.failSteps.length > 0;
    order = onlyFailing ? run.failSteps : run.steps.map((_, i) => i);
    pos = Math.max(0, order.indexOf(s));
    $("mode").textContent = onlyFailing ? "show every step" : "show the failing path only";
  }

  function pathJump(dir) {
    if (run.kind !== "verifier") return;
    const cur = run.steps[order[pos]][0];
    for (let q = pos + dir; q >= 0 && q < order.length; q += dir)
      if (run.steps[order[q]][0] !== cur) { go(q); return; }
  }

  function select(k) {
    run = DATA.runs[k];
    run.failSteps = failingSteps(run);
    run.failInsn = null;
    if (run.kind === "verifier" && !run.verdict.accepted && run.steps.length) {
      const last = run.steps[run.steps.length - 1];
      if (last[5] === "rejected") run.failInsn = last[1];
    }
    if (run.kind === "vm" && run.fault && run.fault.pc !== null) run.failInsn = run.fault.pc;
    const L = run.listing;
    document.title = `pybpf ${run.kind === "vm" ? "VM run" : "verifier"}: ${L.name || "program"}`;
    $("title").textContent = `${L.name || "program"}` + (L.type ? ` (${L.type})` : "") +
      ` — ${run.kind === "vm" ? "VM run" : "verifier"}`;
    const v = $("verdict");
    if (run.kind === "verifier") {
      v.textContent = run.verdict.summary;
      v.className = run.verdict.accepted ? "accepted" : "rejected";
      $("why").textContent = run.verdict.accepted ? "" :
        [run.verdict.explanation, run.verdict.hint && "fix: " + run.verdict.hint].filter(Boolean).join("\n");
    } else {
      v.textContent = run.fault ? run.fault.message :
        `r0 = ${hexU64(run.result.r0)} (${run.result.r0}) after ${run.result.insns} instructions`;
      v.className = run.fault ? "fault" : "accepted";
      $("why").textContent = (run.result && run.result.output.length) ? "trace_printk: " + run.result.output.join("\n") : "";
    }
    $("fail").hidden = run.failInsn === null;
    $("mode").hidden = !run.failSteps.length;
    onlyFailing = false; pos = 0;
    order = run.steps.map((_, i) => i);
    buildListing(); buildPaths();
    $("mode").textContent = "show the failing path only";
    go(0);
  }

  $("first").onclick = () => go(0);
  $("prev").onclick = () => go(pos - 1);
  $("next").onclick = () => go(pos + 1);
  $("last").onclick = () => go(order.length - 1);
  $("fail").onclick = () => go(order.length - 1);
  $("mode").onclick = () => { setOnly(!onlyFailing); go(pos); };
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.target.tagName === "SELECT") return;
    const k = e.key;
    if (k === "ArrowRight" || k === "j") go(pos + 1);
    else if (k === "ArrowLeft" || k === "k") go(pos - 1);
    else if (k === "Home") go(0);
    else if (k === "End" || k === "f") go(order.length - 1);
    else if (k === "n") pathJump(1);
    else if (k === "p") pathJump(-1);
    else if (k === "t") { setOnly(!onlyFailing); go(pos); }
    else return;
    e.preventDefault();
  });
  const sel = $("program");
  if (DATA.runs.length > 1) {
    DATA.runs.forEach((r, k) => sel.appendChild(el("option", "", r.listing.name || `program ${k}`)));
    sel.onchange = () => select(sel.selectedIndex);
  } else sel.hidden = true;
  select(0);
})();
