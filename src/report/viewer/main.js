// @ts-check
/**
 * The kernsim page viewer (browser code, bundled by html.ts with esbuild into
 * one IIFE). Reads the page's JSON data element and renders either a run
 * timeline or the verdict matrix. All model text goes into the DOM with
 * textContent or onto the canvas with fillText: never as markup.
 *
 * Plain JavaScript (checked with // @ts-check and viewer/tsconfig.json)
 * because the project's tsconfig has no DOM library.
 */
import { scaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import { zoom, zoomIdentity } from 'd3-zoom';

const ROW = 16;
const LANE_PAD = 4;
const AXIS_H = 26;
const LABEL_W = 190;

const CSS = `
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.35 system-ui, sans-serif; color: #1d2330; background: #f6f7f9; }
header { padding: 10px 16px; background: #1d2330; color: #f2f4f8; }
header h1 { font-size: 16px; margin: 0 0 4px; font-weight: 600; }
header .sub { color: #aeb6c6; font-size: 12px; }
.token { margin-top: 6px; font: 12px ui-monospace, monospace; display: flex; gap: 8px; align-items: center; }
.token code { background: #2c3445; padding: 2px 6px; border-radius: 3px; word-break: break-all; }
.token button, .findings button, .matrix button { cursor: pointer; }
main { display: flex; gap: 10px; padding: 10px; align-items: flex-start; }
.tl { flex: 1 1 auto; min-width: 0; background: #fff; border: 1px solid #d5d9e0; border-radius: 4px; }
.side { flex: 0 0 520px; max-width: 45vw; display: flex; flex-direction: column; gap: 10px; }
.panel { background: #fff; border: 1px solid #d5d9e0; border-radius: 4px; padding: 8px 10px; }
.panel h2 { font-size: 13px; margin: 0 0 6px; }
.report { font: 12px/1.4 ui-monospace, monospace; white-space: pre; overflow-x: auto; margin: 0; max-height: 60vh; }
.report a { color: #0b57d0; text-decoration: none; border-bottom: 1px dotted #0b57d0; cursor: pointer; }
.report a:hover { background: #e7efff; }
.findings { display: flex; flex-wrap: wrap; gap: 6px; padding: 6px 8px; border-bottom: 1px solid #e3e6eb; }
.findings button { border: 1px solid #d93025; background: #fdecea; color: #a50e0e; border-radius: 3px; font-size: 12px; }
.toolbar { display: flex; gap: 8px; align-items: center; padding: 4px 8px; font-size: 12px; color: #5f6775; }
.scroll { position: relative; overflow-y: auto; max-height: 75vh; }
.rows { position: relative; }
.labels { position: absolute; left: 0; top: 0; width: ${LABEL_W}px; }
.label { position: absolute; left: 0; width: ${LABEL_W}px; padding: 2px 6px; font-size: 11px; overflow: hidden;
  white-space: nowrap; text-overflow: ellipsis; border-top: 1px solid #eef0f3; }
.label.group { font-weight: 600; background: #eef1f6; }
.label.cpu { font-weight: 600; }
canvas { display: block; }
.lanes-canvas { position: absolute; left: ${LABEL_W}px; top: 0; cursor: grab; }
.marker { position: absolute; top: 0; width: 0; border-left: 2px solid #d93025; pointer-events: none; }
.marker span { position: absolute; top: 0; left: 2px; background: #d93025; color: #fff; font-size: 10px;
  padding: 0 3px; white-space: nowrap; }
.tip { position: fixed; pointer-events: none; background: #1d2330; color: #fff; font-size: 11px; padding: 4px 6px;
  border-radius: 3px; max-width: 420px; white-space: pre-wrap; display: none; z-index: 10; }
.printk { font: 11px/1.35 ui-monospace, monospace; white-space: pre-wrap; max-height: 20vh; overflow-y: auto; margin: 0; }
.legend { display: flex; flex-wrap: wrap; gap: 8px; font-size: 11px; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 3px; vertical-align: -1px; }
table.matrix { border-collapse: collapse; background: #fff; margin: 10px; }
.matrix th, .matrix td { border: 1px solid #d5d9e0; padding: 6px 8px; vertical-align: top; text-align: left; }
.matrix th { background: #eef1f6; }
.matrix td.ok { background: #e6f4ea; }
.matrix td.bad { background: #fce8e6; }
.matrix .v { font-weight: 600; }
.matrix .meta { color: #5f6775; font-size: 11px; }
.matrix button { display: block; margin-top: 4px; text-align: left; border: 1px solid #d93025; background: #fff;
  color: #a50e0e; border-radius: 3px; font-size: 12px; }
.matrix button.sel { background: #fdecea; }
#matrix-timeline:empty { display: none; }
`;

const KIND_COLORS = {
  lock: '#f29900',
  wait: '#d93025',
  sleep: '#c4c9d2',
  srcu_gp: '#12a4af',
  srcu_cb: '#1a73e8',
};
const CTX_COLORS = {
  preempt: '#9334e6',
  irq: '#c5221f',
  bh: '#e37400',
  non_block: '#5f6368',
  rcu: '#188038',
  migrate: '#80868b',
};

/**
 * @param {string} tag
 * @param {Record<string, string>} [attrs]
 * @param {string} [text]
 * @returns {HTMLElement}
 */
function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** @param {string} s */
function hash(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** @param {string} name */
function funcColor(name) {
  const h = hash(name);
  return `hsl(${h % 360}, ${45 + ((h >> 9) % 20)}%, ${72 + ((h >> 17) % 10)}%)`;
}

/**
 * @param {string} kind
 * @param {string} name
 */
function colorOf(kind, name) {
  if (kind === 'func' || kind === 'run') return funcColor(name);
  if (kind === 'ctx') {
    if (name.startsWith('srcu:')) return '#12a4af';
    return /** @type {Record<string,string>} */ (CTX_COLORS)[name] ?? '#888';
  }
  return /** @type {Record<string,string>} */ (KIND_COLORS)[kind] ?? '#999';
}

/** @param {string} what */
function ctxLabel(what) {
  /** @type {Record<string,string>} */
  const m = { preempt: 'preempt off', irq: 'irqs off', bh: 'bh off', rcu: 'rcu_read_lock', migrate: 'migrate off' };
  if (what.startsWith('srcu:')) return `srcu_read_lock(${what.slice(5)})`;
  return m[what] ?? what;
}

/**
 * A run's timeline: lanes on one canvas, pan and zoom with d3-zoom.
 * @param {HTMLElement} root
 * @param {any} v the ViewData
 */
function mountRun(root, v) {
  root.textContent = '';
  const header = el('header');
  header.append(el('h1', { id: 'title' }, v.title), el('div', { class: 'sub' }, v.subtitle));
  if (v.token) {
    const tok = el('div', { class: 'token' });
    const code = el('code', { id: 'token' }, v.token);
    const btn = el('button', { type: 'button' }, 'copy');
    btn.addEventListener('click', () => {
      navigator.clipboard?.writeText(v.token).catch(() => {});
      btn.textContent = 'copied';
    });
    tok.append(el('span', {}, 'replay:'), code, btn);
    header.append(tok);
  }
  root.append(header);
  const main = el('main');
  root.append(main);
  const tl = el('section', { class: 'tl', id: 'timeline' });
  const side = el('aside', { class: 'side' });
  main.append(tl, side);

  // Findings bar.
  const fbar = el('div', { class: 'findings', id: 'findings' });
  if (v.reports.length === 0) fbar.append(el('span', {}, 'no findings in this run'));
  tl.append(fbar);
  const toolbar = el('div', { class: 'toolbar' });
  const info = el('span', { id: 'view-range' });
  const reset = el('button', { type: 'button' }, 'reset zoom');
  toolbar.append(el('span', {}, 'wheel: zoom · drag: pan · click a call-trace line to jump'), reset, info);
  tl.append(toolbar);

  // Lanes: geometry.
  /** @type {{top:number,height:number,lane:any,index:number}[]} */
  const geo = [];
  /** @type {{top:number,text:string}[]} */
  const groupRows = [];
  let y = 0;
  let lastGroup = '';
  v.lanes.forEach((/** @type {any} */ lane, /** @type {number} */ i) => {
    if (lane.group !== lastGroup) {
      groupRows.push({ top: y, text: lane.group });
      y += ROW + 2;
      lastGroup = lane.group;
    }
    const height = lane.rows * ROW + LANE_PAD;
    geo.push({ top: y, height, lane, index: i });
    y += height;
  });
  const totalH = y + 4;

  const axisCanvas = /** @type {HTMLCanvasElement} */ (el('canvas', { class: 'axis' }));
  tl.append(axisCanvas);
  const scroll = el('div', { class: 'scroll' });
  const rows = el('div', { class: 'rows' });
  rows.style.height = `${totalH}px`;
  scroll.append(rows);
  tl.append(scroll);
  const labels = el('div', { class: 'labels', id: 'lane-labels' });
  rows.append(labels);
  for (const g of groupRows) {
    const d = el('div', { class: 'label group' }, g.text);
    d.style.top = `${g.top}px`;
    d.style.height = `${ROW + 2}px`;
    labels.append(d);
  }
  for (const g of geo) {
    const d = el('div', { class: `label lane ${g.lane.kind}`, 'data-lane': String(g.index) }, g.lane.label);
    d.style.top = `${g.top}px`;
    d.style.height = `${g.height}px`;
    d.title = g.lane.label;
    labels.append(d);
  }
  const canvas = /** @type {HTMLCanvasElement} */ (el('canvas', { class: 'lanes-canvas', id: 'lanes' }));
  rows.append(canvas);
  const markerLayer = el('div', { class: 'markers' });
  rows.append(markerLayer);

  // Side panels: reports with linked call traces, printk, legend.
  v.reports.forEach((/** @type {any} */ r, /** @type {number} */ ri) => {
    const p = el('section', { class: 'panel report-panel' });
    p.append(el('h2', {}, `${r.title} (step ${r.step})`));
    const pre = el('pre', { class: 'report', id: `report-${ri}` });
    for (const line of r.lines) {
      if (line.link) {
        const a = el('a', { href: '#', class: 'frame-link' }, line.text);
        a.addEventListener('click', (ev) => {
          ev.preventDefault();
          focusSpan(line.link.start, line.link.end, line.link.lane);
        });
        pre.append(a, '\n');
      } else pre.append(`${line.text}\n`);
    }
    p.append(pre);
    side.append(p);
    const b = el('button', { type: 'button', class: 'finding' }, `⚑ step ${r.step}: ${r.title}`);
    b.addEventListener('click', () => focusSpan(r.at - 20, r.at + 20, r.lane));
    fbar.append(b);
  });
  if (v.printk.length > 0) {
    const p = el('section', { class: 'panel' });
    p.append(el('h2', {}, 'printk'));
    const pre = el('pre', { class: 'printk' });
    for (const l of v.printk) pre.append(`[step ${l.step}] <${l.level}> ${l.text}\n`);
    p.append(pre);
    side.append(p);
  }
  const leg = el('section', { class: 'panel' });
  leg.append(el('h2', {}, 'legend'));
  const legend = el('div', { class: 'legend' });
  /** @type {[string,string][]} */
  const items = [
    ['lock held', KIND_COLORS.lock],
    ['lock wait', KIND_COLORS.wait],
    ['sleeping', KIND_COLORS.sleep],
    ['preempt off', CTX_COLORS.preempt],
    ['irqs off', CTX_COLORS.irq],
    ['rcu read', CTX_COLORS.rcu],
    ['srcu read / grace period', KIND_COLORS.srcu_gp],
    ['srcu callback', KIND_COLORS.srcu_cb],
    ['non_block', CTX_COLORS.non_block],
  ];
  for (const [t, c] of items) {
    const s = el('span');
    const i = el('i');
    i.style.background = c;
    s.append(i, t);
    legend.append(s);
  }
  leg.append(legend);
  side.append(leg);

  const tip = el('div', { class: 'tip' });
  document.body.append(tip);

  // Scales and zoom.
  const x0 = scaleLinear().domain([0, Math.max(1, v.span)]);
  let x = x0.copy();
  let width = 100;
  const dpr = window.devicePixelRatio || 1;
  /** @type {{lane:number,start:number,end:number}|null} */
  let highlight = null;

  function resize() {
    width = Math.max(200, tl.clientWidth - LABEL_W - 2);
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(totalH * dpr);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${totalH}px`;
    axisCanvas.width = Math.round((width + LABEL_W) * dpr);
    axisCanvas.height = Math.round(AXIS_H * dpr);
    axisCanvas.style.width = `${width + LABEL_W}px`;
    axisCanvas.style.height = `${AXIS_H}px`;
    x0.range([0, width]);
    zoomer.extent([
      [0, 0],
      [width, totalH],
    ]);
    zoomer.translateExtent([
      [0, 0],
      [width, totalH],
    ]);
    x = currentTransform.rescaleX(x0);
    schedule();
  }

  let currentTransform = zoomIdentity;
  const maxK = Math.max(2, v.span / 4);
  const zoomer = zoom()
    .scaleExtent([1, maxK])
    .on('zoom', (ev) => {
      currentTransform = ev.transform;
      x = currentTransform.rescaleX(x0);
      schedule();
    });
  const sel = select(/** @type {Element} */ (canvas));
  sel.call(/** @type {any} */ (zoomer)).on('dblclick.zoom', null);

  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      draw();
    });
  }

  /** Zooms so that [a, b] fills the view and scrolls the lane into sight. */
  function focusSpan(/** @type {number} */ a, /** @type {number} */ b, /** @type {number} */ lane) {
    const pad = Math.max(1, (b - a) * 0.15);
    a = Math.max(0, a - pad);
    b = Math.min(v.span, b + pad);
    if (b <= a) b = a + 1;
    const k = Math.min(maxK, Math.max(1, v.span / (b - a)));
    const t = zoomIdentity.scale(k).translate(-x0(a), 0);
    sel.call(/** @type {any} */ (zoomer).transform, t);
    const g = geo[lane];
    if (g) {
      highlight = { lane, start: a + pad, end: b - pad };
      scroll.scrollTop = Math.max(0, g.top - 40);
    }
    schedule();
  }
  reset.addEventListener('click', () => sel.call(/** @type {any} */ (zoomer).transform, zoomIdentity));

  // Finding markers (DOM, positioned on every draw).
  /** @type {{at:number,node:HTMLElement}[]} */
  const markers = v.reports.map((/** @type {any} */ r) => {
    const m = el('div', { class: 'marker finding-marker', 'data-step': String(r.step) });
    m.style.height = `${totalH}px`;
    m.append(el('span', {}, `⚑ ${r.kind}`));
    markerLayer.append(m);
    return { at: r.at, node: m };
  });

  function draw() {
    const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, totalH);
    const [d0, d1] = /** @type {[number, number]} */ (x.domain());
    ctx.font = '10px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    // Step grid when zoomed in far enough.
    const pxPerStep = width / (d1 - d0);
    if (pxPerStep > 6) {
      ctx.strokeStyle = '#f1f3f6';
      ctx.beginPath();
      for (let s = Math.floor(d0); s <= d1; s++) {
        const px = Math.round(x(s)) + 0.5;
        ctx.moveTo(px, 0);
        ctx.lineTo(px, totalH);
      }
      ctx.stroke();
    }
    for (const g of geo) {
      const s = g.lane.s;
      const n = s.length / 6;
      ctx.strokeStyle = '#eef0f3';
      ctx.beginPath();
      ctx.moveTo(0, g.top + 0.5);
      ctx.lineTo(width, g.top + 0.5);
      ctx.stroke();
      /** @type {number[]} */
      const lastPx = [];
      for (let i = 0; i < n; i++) {
        const o = i * 6;
        const a = s[o];
        const b = s[o + 1];
        if (b < d0 || a > d1) continue;
        const depth = s[o + 2];
        const px0 = x(a);
        const px1 = x(b);
        const w = px1 - px0;
        if (w < 1) {
          // Sub-pixel slices: at most one mark per pixel column and row.
          const col = Math.floor(px0);
          if (lastPx[depth] === col) continue;
          lastPx[depth] = col;
        }
        const name = v.names[s[o + 3]];
        const kind = v.kinds[s[o + 4]];
        const yy = g.top + 2 + depth * ROW;
        ctx.fillStyle = colorOf(kind, name);
        const cx0 = Math.max(px0, -2);
        const cw = Math.max(1, Math.min(px1, width + 2) - cx0);
        ctx.fillRect(cx0, yy, cw, ROW - 2);
        if (s[o + 5] === 1) {
          ctx.fillStyle = 'rgba(255,255,255,0.5)';
          ctx.fillRect(Math.max(cx0, Math.min(px1, width + 2) - 6), yy, 6, ROW - 2);
        }
        if (cw > 24) {
          ctx.fillStyle = '#1d2330';
          const label = kind === 'ctx' ? ctxLabel(name) : name;
          ctx.save();
          ctx.beginPath();
          ctx.rect(cx0, yy, cw, ROW - 2);
          ctx.clip();
          ctx.fillText(label, cx0 + 3, yy + (ROW - 2) / 2);
          ctx.restore();
        }
      }
    }
    // Instants: faults, printk, reports.
    for (const it of v.instants) {
      if (it.at < d0 || it.at > d1) continue;
      const g = geo[it.lane];
      if (!g) continue;
      const px = x(it.at);
      const yy = g.top + 2;
      if (it.kind === 'report') {
        ctx.fillStyle = '#d93025';
        ctx.beginPath();
        ctx.moveTo(px - 6, yy);
        ctx.lineTo(px + 6, yy);
        ctx.lineTo(px, yy + 10);
        ctx.fill();
      } else if (it.kind === 'fault') {
        ctx.fillStyle = '#e37400';
        ctx.beginPath();
        ctx.moveTo(px, yy);
        ctx.lineTo(px + 5, yy + 6);
        ctx.lineTo(px, yy + 12);
        ctx.lineTo(px - 5, yy + 6);
        ctx.fill();
      } else {
        ctx.fillStyle = '#5f6368';
        ctx.fillRect(px - 0.5, yy, 1.5, 10);
      }
    }
    if (highlight) {
      const g = geo[highlight.lane];
      if (g) {
        ctx.strokeStyle = '#0b57d0';
        ctx.lineWidth = 2;
        ctx.strokeRect(x(highlight.start), g.top + 1, Math.max(2, x(highlight.end) - x(highlight.start)), g.height - 2);
        ctx.lineWidth = 1;
      }
    }
    for (const m of markers) {
      const px = x(m.at);
      m.node.style.display = px < 0 || px > width ? 'none' : 'block';
      m.node.style.left = `${LABEL_W + px - 1}px`;
    }
    drawAxis(d0, d1);
    info.textContent = `steps ${Math.max(0, Math.floor(d0))}–${Math.ceil(d1)} of ${v.steps}`;
    state.domain = [d0, d1];
    state.k = currentTransform.k;
    state.draws++;
  }

  function drawAxis(/** @type {number} */ d0, /** @type {number} */ d1) {
    const ctx = /** @type {CanvasRenderingContext2D} */ (axisCanvas.getContext('2d'));
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width + LABEL_W, AXIS_H);
    ctx.fillStyle = '#f6f7f9';
    ctx.fillRect(0, 0, width + LABEL_W, AXIS_H);
    ctx.fillStyle = '#5f6775';
    ctx.font = '10px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    ctx.fillText('step', 6, 4);
    ctx.strokeStyle = '#aeb6c6';
    ctx.beginPath();
    for (const t of x.ticks(Math.max(2, Math.floor(width / 90)))) {
      if (t < d0 || t > d1 || !Number.isInteger(t)) continue;
      const px = LABEL_W + x(t);
      ctx.moveTo(px + 0.5, AXIS_H - 8);
      ctx.lineTo(px + 0.5, AXIS_H);
      let label = String(t);
      const ns = v.stepTimeNs?.[t];
      if (ns !== undefined && ns > 0 && width / (d1 - d0) > 40) label += ` (${ns} ns)`;
      ctx.fillText(label, px + 2, 3);
    }
    ctx.stroke();
    for (const m of markers) {
      const px = LABEL_W + x(m.at);
      if (px < LABEL_W || px > LABEL_W + width) continue;
      ctx.fillStyle = '#d93025';
      ctx.beginPath();
      ctx.moveTo(px - 6, AXIS_H - 10);
      ctx.lineTo(px + 6, AXIS_H - 10);
      ctx.lineTo(px, AXIS_H);
      ctx.fill();
    }
  }

  // Hover tooltips.
  canvas.addEventListener('mousemove', (ev) => {
    const r = canvas.getBoundingClientRect();
    const mx = ev.clientX - r.left;
    const my = ev.clientY - r.top;
    const g = geo.find((gg) => my >= gg.top && my < gg.top + gg.height);
    if (!g) {
      tip.style.display = 'none';
      return;
    }
    const pos = x.invert(mx);
    const slop = x.invert(mx + 3) - pos;
    const depth = Math.floor((my - g.top - 2) / ROW);
    const s = g.lane.s;
    let text = '';
    for (let o = 0; o < s.length; o += 6) {
      if (s[o + 2] !== depth || s[o] > pos + slop || s[o + 1] < pos - slop) continue;
      const kind = v.kinds[s[o + 4]];
      const name = v.names[s[o + 3]];
      const label = kind === 'ctx' ? ctxLabel(name) : name;
      text = `${label}\n${kind} · steps ${Math.floor(s[o])}–${Math.floor(s[o + 1])}${s[o + 5] ? ' (still open at the end)' : ''}`;
    }
    for (const it of v.instants)
      if (geo[it.lane] === g && Math.abs(x(it.at) - mx) < 6)
        text = `${it.kind}: ${it.name}\nstep ${it.step} ${it.detail}`;
    if (!text) text = `${g.lane.label}\nstep ${Math.floor(pos)}`;
    tip.textContent = text;
    tip.style.display = 'block';
    tip.style.left = `${ev.clientX + 12}px`;
    tip.style.top = `${ev.clientY + 12}px`;
  });
  canvas.addEventListener('mouseleave', () => {
    tip.style.display = 'none';
  });

  const state = {
    ready: true,
    lanes: v.lanes.length,
    markers: markers.length,
    domain: [0, v.span],
    k: 1,
    draws: 0,
    focusSpan,
  };
  /** @type {any} */ (window).__kernsim = state;
  const ro = new ResizeObserver(() => resize());
  ro.observe(tl);
  resize();
  draw();
  return state;
}

/**
 * The verdict matrix; clicking a finding opens its embedded timeline below.
 * @param {HTMLElement} root
 * @param {any} m the MatrixData
 */
function mountMatrix(root, m) {
  root.textContent = '';
  const header = el('header');
  const bad = m.cells.filter((/** @type {any} */ c) => c.ok === false).length;
  header.append(
    el('h1', { id: 'title' }, m.title),
    el(
      'div',
      { class: 'sub' },
      `${m.cells.length} cells · ${m.cells.filter((/** @type {any} */ c) => c.verdict === 'found').length} with findings · ${bad} not as expected`,
    ),
  );
  root.append(header);
  const table = el('table', { class: 'matrix', id: 'matrix' });
  const head = el('tr');
  head.append(el('th', {}, 'scenario · variant'));
  for (const c of m.cols) head.append(el('th', {}, c));
  table.append(head);
  const holder = el('div', { id: 'matrix-timeline' });
  /** @type {HTMLElement|null} */
  let selected = null;
  m.rows.forEach((/** @type {string} */ row, /** @type {number} */ ri) => {
    const tr = el('tr');
    tr.append(el('th', {}, row));
    m.cols.forEach((/** @type {string} */ _c, /** @type {number} */ ci) => {
      const cells = m.cells.filter((/** @type {any} */ c) => c.row === ri && c.col === ci);
      const td = el('td');
      for (const c of cells) {
        td.classList.add(c.ok === false ? 'bad' : c.ok === true ? 'ok' : 'none');
        const mark = c.ok === true ? '✓' : c.ok === false ? '✗' : '';
        const vtext = `${mark} ${c.verdict === 'found' ? `${c.findings.length} finding${c.findings.length === 1 ? '' : 's'}` : 'clean'}`;
        td.append(el('div', { class: 'v' }, vtext.trim()));
        const exp = c.expected
          ? `expected ${c.expected}${c.expectedTitles.length ? `: ${c.expectedTitles.join('; ')}` : ''}`
          : 'no expectation';
        td.append(
          el(
            'div',
            { class: 'meta' },
            `${exp} · ${c.strategy} · ${c.executions} executions${c.complete ? ' (complete)' : ''}`,
          ),
        );
        for (const f of c.findings) {
          const b = el('button', { type: 'button', class: 'finding-cell', 'data-run': String(f.run) }, f.title);
          b.addEventListener('click', () => {
            selected?.classList.remove('sel');
            b.classList.add('sel');
            selected = b;
            const run = m.runs[f.run];
            if (run) {
              mountRun(holder, run);
            } else {
              holder.textContent = '';
              holder.append(el('div', { class: 'panel' }, `no timeline recorded for this finding; replay: ${f.token}`));
            }
            holder.scrollIntoView({ block: 'start' });
          });
          td.append(b);
        }
      }
      tr.append(td);
    });
    table.append(tr);
  });
  root.append(table, holder);
  /** @type {any} */ (window).__kernsimMatrix = { ready: true, cells: m.cells.length };
}

function start() {
  const style = el('style');
  style.textContent = CSS;
  document.head.append(style);
  const dataEl = document.getElementById('kernsim-data');
  const root = document.getElementById('app');
  if (!dataEl || !root) return;
  const data = JSON.parse(dataEl.textContent || '{}');
  if (document.body.dataset.page === 'matrix') mountMatrix(root, data);
  else mountRun(root, data);
}

start();
