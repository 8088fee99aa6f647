"""HTML fragments for notebooks: a program's listing, a verdict, a verifier run, a VM
trace, a map. Each is one ``<div class="pybpf">`` with its own small style, no script and
no network, so it renders in Jupyter, in an exported notebook and on the docs site.

>>> from pybpf.asm import assemble
>>> "r0 = 0x2a" in program_html(assemble("r0 = 42\\nexit"))
True
"""
from __future__ import annotations

import html
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..isa import MapSpec, ProgramSpec
    from ..verifier.report import Report
    from .recording import Listing, VerifierRun, VMTrace

#: rows a fragment shows at most (a long run: the first ones, then a count of the rest)
MAX_ROWS = 400

STYLE = """<style>
/* text-align wins over JupyterLab's right-aligned output tables (a more specific rule) */
.pybpf{font:13px/1.35 system-ui,sans-serif;color:#1d1f21;max-width:100%;overflow:auto}
.pybpf table{border-collapse:collapse;margin:4px 0}
.pybpf td,.pybpf th{padding:1px 8px;vertical-align:top;border:0}
.pybpf td,.pybpf th,.pybpf tr{text-align:left!important}
.pybpf th{color:#6a6f75;font-weight:500;border-bottom:1px solid #ddd}
.pybpf .m{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,monospace;white-space:pre}
.pybpf .dim{color:#6a6f75}.pybpf .lab{color:#6a3fb5}.pybpf .src{color:#0b5394;font-style:italic}
.pybpf .ok{color:#2e7d32;font-weight:600}.pybpf .bad{color:#c62828;font-weight:600}
.pybpf tr.fail td{background:#fde7e7}.pybpf tr.path td{background:#e8f1ff}
.pybpf .chg{background:#ffe0b2}.pybpf summary{cursor:pointer;color:#0b5394}
</style>"""


def _e(text: object) -> str:
    return html.escape(str(text))


def wrap_html(*parts: str) -> str:
    return f'<div class="pybpf">{STYLE}' + "".join(parts) + "</div>"


def _table(head: Iterable[str], rows: Iterable[str]) -> str:
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    return f"<table><tr>{th}</tr>{''.join(rows)}</table>"


def _more(total: int) -> str:
    return f'<p class="dim">… {total - MAX_ROWS} more not shown</p>' if total > MAX_ROWS else ""


def listing_rows(listing: Listing, marks: dict[int, str] | None = None,
                 notes: dict[int, str] | None = None) -> list[str]:
    """``<tr>``s of a listing: labels, source lines (C and Python), then each instruction
    with its index, slot and text; ``marks`` gives a row class by index, ``notes`` a last
    column (the state after the instruction)."""
    show_src = any(f.endswith((".c", ".h", ".py")) for f, _, _ in listing.sources.values())
    rows, last = [], None
    width = 4 if notes is not None else 3
    for i, text in enumerate(listing.texts):
        for lab in listing.labels.get(i, []):
            rows.append(f'<tr><td colspan="{width}" class="m lab">{_e(lab)}:</td></tr>')
        src = listing.sources.get(i)
        if show_src and src and (last is None or last[:2] != src[:2]):
            rows.append(f'<tr><td colspan="{width}" class="m src">{_e(src[0])}:{src[1]}  '
                        f'{_e(src[2].strip())}</td></tr>')
        last = src or last
        cls = (marks or {}).get(i, "")
        note = "" if notes is None else f'<td class="m dim">{_e(notes.get(i, ""))}</td>'
        rows.append(f'<tr class="{cls}"><td class="dim">{i}</td><td class="dim">{listing.slots[i]}</td>'
                    f'<td class="m">{_e(text)}</td>{note}</tr>')
    return rows


def program_html(program: ProgramSpec) -> str:
    """A `ProgramSpec`: its name and type, its maps, then its listing."""
    head = f"<b>{_e(program.name or 'program')}</b>"
    if program.prog_type:
        head += f' <span class="dim">({_e(program.prog_type)})</span>'
    head += f' <span class="dim">{len(program.insns)} instructions</span>'
    maps = "".join(f"<div>{mapspec_html(m, inline=True)}</div>" for m in program.maps.values())
    from .recording import Listing

    rows = listing_rows(Listing.of(program))
    return wrap_html(f"<div>{head}</div>", maps, _table(["#", "slot", "instruction"], rows[:MAX_ROWS]),
                 _more(len(rows)))


def mapspec_html(spec: MapSpec, inline: bool = False) -> str:
    """A `MapSpec` as one line: name, type, sizes, entries."""
    text = (f'map <b class="m">{_e(spec.name)}</b>: {_e(spec.type)}, key {spec.key_size} B, '
            f"value {spec.value_size} B, {spec.max_entries} entries")
    if spec.flags:
        text += f", flags {spec.flags:#x}"
    return text if inline else wrap_html(f"<div>{text}</div>")


def report_html(report: Report) -> str:
    """A verifier `Report`: the verdict, and for a rejection why, the registers and the fix;
    the log (``verify(..., log=True)``) folded."""
    cls = "ok" if report.accepted else "bad"
    parts = [f'<div class="{cls}">{_e(report.summary)}</div>']
    if not report.accepted:
        if report.source is not None:
            src = report.source
            where = f"{src.filename}:{src.line}" if src.filename else f"line {src.line}"
            parts.append(f'<div class="m src">{_e(where)}: {_e(src.text.strip())}</div>')
        if report.explanation:
            parts.append(f"<div>why: {_e(report.explanation)}</div>")
        if report.registers:
            parts.append(_table(["register", "value"], (
                f'<tr><td class="m">{_e(k)}</td><td class="m">{_e(v)}</td></tr>'
                for k, v in report.registers.items())))
        if report.hint:
            parts.append(f"<div>fix: {_e(report.hint)}</div>")
    if report.log:
        parts.append(f'<details><summary>verifier log</summary><div class="m">{_e(report.log)}'
                     "</div></details>")
    return wrap_html(*parts)


def verifier_run_html(run: VerifierRun) -> str:
    """A recorded verifier run: the verdict, then the listing with the state after each
    instruction (its last visit on the failing path, else its first visit), the
    instructions of the failing path shaded and the failing one in red; the paths folded."""
    chain = set(run.failing_chain())
    notes: dict[int, str] = {}
    marks: dict[int, str] = {}
    for s in run.steps:
        on_path = s.path in chain
        if s.insn not in notes or on_path:
            regs = " ".join(f"R{r}={v}" for r, v in enumerate(s.regs) if v is not None)
            stack = " ".join(f"fp{o}={t}" for o, t in s.stack)
            notes[s.insn] = (regs + (" " + stack if stack else "")).strip()
        if on_path:
            marks[s.insn] = "path"
    if not run.report.accepted and run.steps and run.steps[-1].note == "rejected":
        marks[run.steps[-1].insn] = "fail"
    rows = listing_rows(run.listing, marks, notes)
    paths = "".join(
        f'<li class="{"bad" if p.id == run.failing_path else ""}">from '
        f'{"entry" if p.branch_from is None else f"insn {p.branch_from}"} → insn {p.start}: '
        f"{p.steps} insns, {_e(p.end)}</li>" for p in run.paths[:MAX_ROWS])
    return wrap_html(report_html(run.report),
                 _table(["#", "slot", "instruction", "state after it"], rows[:MAX_ROWS]),
                 _more(len(rows)),
                 f"<details><summary>{len(run.paths)} paths explored, {run.processed} "
                 f"instructions processed</summary><ol>{paths}</ol></details>")


def trace_html(trace: VMTrace) -> str:
    """A VM run: the result (or the fault), then each step: pc, instruction, the registers
    it changed and the memory it wrote."""
    texts = trace.listing.texts
    rows = []
    prev: tuple[int, ...] | None = None
    for n, s in enumerate(trace.steps[:MAX_ROWS]):
        changed = [f"r{r}={(s.pointers[r] if s.pointers and s.pointers[r] else hex(v))}"
                   for r, v in enumerate(s.regs) if prev is None and v or prev is not None and prev[r] != v]
        mem = " ".join(f"{c.region}{c.offset:+d}: {c.old.hex()}→{c.new.hex()}" for c in s.changes)
        text = texts[s.pc] if 0 <= s.pc < len(texts) else s.text
        rows.append(f'<tr><td class="dim">{n}</td><td class="dim">{s.pc}</td>'
                    f'<td class="m">{"  " * s.depth}{_e(text)}</td><td class="m">{_e(" ".join(changed))}'
                    f'</td><td class="m chg">{_e(mem)}</td></tr>' if mem else
                    f'<tr><td class="dim">{n}</td><td class="dim">{s.pc}</td>'
                    f'<td class="m">{"  " * s.depth}{_e(text)}</td><td class="m">{_e(" ".join(changed))}'
                    "</td><td></td></tr>")
        prev = s.regs
    if trace.fault is not None:
        head = f'<div class="bad">fault: {_e(trace.fault)}</div>'
    else:
        res = trace.result
        assert res is not None
        head = f'<div class="ok">r0 = {res.r0:#x} ({res.r0}) after {res.insns} instructions</div>'
        head += "".join(f'<div class="m dim">trace_printk: {_e(o)}</div>' for o in res.output)
    return wrap_html(head, _table(["step", "pc", "instruction", "registers changed", "memory written"],
                              rows), _more(len(trace.steps)))


def map_html(live: Any, limit: int = 50) -> str:
    """A live kernel map: its kind and sizes, then its first ``limit`` entries."""
    rows = []
    total = 0
    try:
        for k, v in live.items():
            total += 1
            if total <= limit:
                rows.append(f'<tr><td class="m">{_e(k)}</td><td class="m">{_e(v)}</td></tr>')
    except Exception as exc:  # noqa: BLE001 - a map that cannot be read still shows its shape
        rows.append(f'<tr><td colspan="2" class="bad">cannot read: {_e(exc)}</td></tr>')
    head = (f'map <b class="m">{_e(live.name)}</b>: {_e(live.type)}, key {live.key_size} B, '
            f"value {live.value_size} B, {live.max_entries} entries max, {total} present")
    more = f'<p class="dim">… {total - limit} more</p>' if total > limit else ""
    return wrap_html(f"<div>{head}</div>", _table(["key", "value"], rows), more)


def loaded_program_html(prog: Any) -> str:
    """A program loaded in the kernel: what the kernel says of it (``BPF_OBJ_GET_INFO_BY_FD``)
    and the maps bound into it."""
    try:
        info = prog.info()
    except Exception as exc:  # noqa: BLE001 - a closed program still shows its name
        return wrap_html(f'<div>program <b class="m">{_e(prog.name)}</b>: {_e(prog.type)}</div>',
                     f'<div class="bad">{_e(exc)}</div>')
    head = (f'program <b class="m">{_e(prog.name or info.name or "(no name)")}</b>: {_e(prog.type)}, '
            f'id {info.id}, tag <span class="m">{_e(info.tag)}</span>')
    rows = [f"<tr><td>{_e(k)}</td><td class=\"m\">{_e(v)}</td></tr>" for k, v in (
        ("instructions verified", info.verified_insns),
        ("translated / JIT-compiled bytes", f"{info.xlated_prog_len} / {info.jited_prog_len}"),
        ("runs (with stats on)", info.run_cnt),
        ("GPL-compatible", info.gpl_compatible))]
    rows += [f"<tr><td>map {_e(name)}</td><td class=\"m\">{_e(m.type)}</td></tr>"
             for name, m in prog.maps.items()]
    return wrap_html(f"<div>{head}</div>", _table(["", "the kernel says"], rows))


__all__ = ["listing_rows", "loaded_program_html", "map_html", "mapspec_html", "program_html", "report_html",
           "trace_html", "verifier_run_html"]
