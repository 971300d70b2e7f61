/**
 * docs/architecture.md's layer rules, enforced: every import in src/ points the way the
 * "Layers and imports" table allows, nothing outside cli/, bin/ and test/cli/ imports src/cli/,
 * and src/ has no import cycle except the ones the document lists (the list may only shrink).
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DOC = join(ROOT, 'docs/architecture.md');

function sources(dir: string, exts = ['.ts', '.mts', '.js', '.mjs']): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) {
      if (e !== 'node_modules' && e !== 'viewer') out.push(...sources(p, exts));
    } else if (exts.some((x) => e.endsWith(x))) out.push(p);
  }
  return out;
}

/** The relative imports of a file (static, re-exports, side-effect and dynamic), as repo paths. */
function importsOf(file: string, text = readFileSync(file, 'utf8')): string[] {
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((s) => s.startsWith('.'))
    .map((s) => relative(ROOT, normalize(join(dirname(file), s))).replace(/\.js$/, '.ts'));
}

/** The layer of a file under src/: its first directory, or 'entry' for src/index.ts, src/linux.ts. */
function layerOf(path: string): string {
  const parts = path.split('/');
  return parts.length > 2 ? (parts[1] as string) : 'entry';
}

/** The "Layers and imports" table and the listed cycle exceptions of docs/architecture.md. */
function readRules(doc: string): { allowed: Map<string, Set<string>>; cycleFiles: string[] } {
  const sec = doc.slice(doc.indexOf('## Layers and imports'));
  const end = sec.indexOf('\n## ', 3);
  const body = end > 0 ? sec.slice(0, end) : sec;
  const allowed = new Map<string, Set<string>>();
  for (const line of body.split('\n')) {
    const m = /^\| ([a-z]+) \|([^|]*)\|$/.exec(line.trim());
    if (!m || m[1] === 'layer') continue;
    const to = (m[2] as string)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    allowed.set(m[1] as string, new Set(to));
  }
  const cycleFiles = [...body.matchAll(/`(kernel\/[\w/]+\.ts)`/g)].map((m) => `src/${m[1]}`);
  return { allowed, cycleFiles };
}

interface Graph {
  readonly [file: string]: readonly string[];
}

/** Imports that point a way the table does not allow. */
function wrongWay(g: Graph, allowed: Map<string, Set<string>>): string[] {
  const bad: string[] = [];
  for (const [from, tos] of Object.entries(g))
    for (const to of tos) {
      const a = layerOf(from);
      const b = layerOf(to);
      if (a === b) continue;
      const ok = allowed.get(a);
      if (!ok) bad.push(`${from}: layer '${a}' is not in docs/architecture.md's table`);
      else if (!ok.has(b)) bad.push(`${from} imports ${to}: ${a}/ may not import ${b}/`);
    }
  return bad;
}

/** The strongly connected components with more than one file (Tarjan). */
function cycles(g: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  let n = 0;
  const visit = (v: string): void => {
    index.set(v, n);
    low.set(v, n++);
    stack.push(v);
    on.add(v);
    for (const w of g[v] ?? []) {
      if (!(w in g)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      for (;;) {
        const w = stack.pop() as string;
        on.delete(w);
        comp.push(w);
        if (w === v) break;
      }
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of Object.keys(g)) if (!index.has(v)) visit(v);
  return out;
}

/** Cycles not covered by the exceptions, and listed kernel files no longer in a cycle. */
function badCycles(g: Graph, cycleFiles: readonly string[]): { bad: string[][]; stale: string[] } {
  const cs = cycles(g);
  const listed = new Set(cycleFiles);
  const bad = cs.filter((c) => !c.every((f) => f.startsWith('src/models/')) && !c.every((f) => listed.has(f)));
  const inCycle = new Set(cs.flat());
  return { bad, stale: cycleFiles.filter((f) => !inCycle.has(f)) };
}

function srcGraph(): Graph {
  const g: Record<string, string[]> = {};
  for (const f of sources(join(ROOT, 'src'), ['.ts'])) g[relative(ROOT, f)] = importsOf(f);
  return g;
}

test('every import in src/ points the way docs/architecture.md allows', () => {
  const { allowed } = readRules(readFileSync(DOC, 'utf8'));
  assert.ok(allowed.size >= 10, 'the table is read');
  assert.deepEqual(wrongWay(srcGraph(), allowed), []);
});

test('no import cycle in src/ beyond the listed kernel-header ones; none listed that is gone', () => {
  const { cycleFiles } = readRules(readFileSync(DOC, 'utf8'));
  assert.ok(cycleFiles.length > 0);
  const { bad, stale } = badCycles(srcGraph(), cycleFiles);
  assert.deepEqual(bad, [], 'cycles not allowed by docs/architecture.md');
  assert.deepEqual(stale, [], 'listed as in a cycle but no longer: remove them from docs/architecture.md');
});

test('only cli/, bin/ and test/cli/ import src/cli/', () => {
  const bad: string[] = [];
  for (const dir of ['src', 'test', 'bench', 'scripts', 'examples']) {
    for (const f of sources(join(ROOT, dir))) {
      const rel = relative(ROOT, f);
      if (rel.startsWith('src/cli/') || rel.startsWith('test/cli/')) continue;
      for (const to of importsOf(f)) if (to.startsWith('src/cli/')) bad.push(`${rel} imports ${to}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('the checker fails on a wrong-way import, a new cycle, and a stale exception', () => {
  const { allowed, cycleFiles } = readRules(readFileSync(DOC, 'utf8'));
  const g: Graph = {
    'src/kernel/a.ts': ['src/run/b.ts'],
    'src/run/b.ts': ['src/run/c.ts'],
    'src/run/c.ts': ['src/run/b.ts'],
    'src/explore/d.ts': ['src/models/linux/e.ts'],
  };
  assert.deepEqual(wrongWay(g, allowed), [
    'src/kernel/a.ts imports src/run/b.ts: kernel/ may not import run/',
    'src/explore/d.ts imports src/models/linux/e.ts: explore/ may not import models/',
  ]);
  const r = badCycles(g, cycleFiles);
  assert.deepEqual(r.bad, [['src/run/b.ts', 'src/run/c.ts']]);
  assert.deepEqual(r.stale, cycleFiles);
  assert.deepEqual(badCycles({ 'src/models/x.ts': ['src/models/y.ts'], 'src/models/y.ts': ['src/models/x.ts'] }, []), {
    bad: [],
    stale: [],
  });
});
