/**
 * docs/architecture.md "Per-run generator functions", enforced: in src/kernel, src/models and
 * src/scenarios (the code every run executes) no generator function, generator method or class is
 * made inside a function. Each evaluation of one is a new closure, and a called generator closure
 * (or a constructed class) gets an old-space Map that keeps its context, the run's world, alive
 * through every young-generation GC until the next mark-compact.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (e.endsWith('.ts')) out.push(p);
  }
  return out;
}

function isFunctionLike(n: ts.Node): boolean {
  return (
    ts.isFunctionDeclaration(n) ||
    ts.isFunctionExpression(n) ||
    ts.isArrowFunction(n) ||
    ts.isMethodDeclaration(n) ||
    ts.isConstructorDeclaration(n) ||
    ts.isAccessor(n)
  );
}

/** "file:line: what" for every generator function, generator method or class made inside a function. */
export function perRunGenerators(file: string, text = readFileSync(file, 'utf8')): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (n: ts.Node, inFunction: boolean): void => {
    const generator =
      (ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isMethodDeclaration(n)) &&
      n.asteriskToken !== undefined &&
      // A method of a class is made once, with the class.
      !(ts.isMethodDeclaration(n) && ts.isClassLike(n.parent));
    const cls = ts.isClassDeclaration(n) || ts.isClassExpression(n);
    if (inFunction && (generator || cls)) {
      const line = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
      const name = (n as ts.NamedDeclaration).name?.getText(sf) ?? '(anonymous)';
      found.push(`${relative(ROOT, file)}:${line}: ${cls ? 'class' : 'function*'} ${name}`);
    }
    ts.forEachChild(n, (c) => visit(c, inFunction || isFunctionLike(n)));
  };
  visit(sf, false);
  return found;
}

test('no generator function, generator method or class is made per call in src/kernel, src/models, src/scenarios', () => {
  const found = ['kernel', 'models', 'scenarios'].flatMap((d) =>
    sources(join(ROOT, 'src', d)).flatMap((f) => perRunGenerators(f)),
  );
  assert.deepEqual(found, []);
});

test('the check finds a generator made inside a function, and passes module-level ones and arrows', () => {
  const text = `
    export const a = kfunc(function* a() { yield 1; });
    function* b() { yield 1; }
    class C { *m() { yield 1; } }
    export function setup() {
      const f = () => b();
      const g = function* g() { yield 1; };
      const o = { *h() { yield 1; } };
      class D {}
      return [f, g, o, D];
    }`;
  const found = perRunGenerators(join(ROOT, 'src/scenarios/x.ts'), text).map((s) => s.replace(/^[^:]*:/, ''));
  assert.deepEqual(found, ['7: function* g', '8: function* h', '9: class D']);
});
