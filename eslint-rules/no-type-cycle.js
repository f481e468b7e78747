// ESLint rule: no import cycle among our modules that runs through a type import. import-x/no-cycle
// skips every type-only import, with no option to count them (its 4.x source), so a circle of
// `import type` between modules goes unseen there; this rule walks the same graph with types in.
// Cycles of value imports only are left to import-x/no-cycle, so no cycle is reported twice.
const ts = require('typescript');
const { existsSync, readFileSync, statSync } = require('node:fs');
const { dirname, relative, resolve } = require('node:path');

/** Per file: its mtime and its relative imports (resolved path, type-only or not). */
const graph = new Map();

function resolveImport(fromFile, specifier) {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(fromFile), specifier);
  for (const candidate of [`${base}.ts`, base, resolve(base, 'index.ts')]) {
    if (candidate.endsWith('.ts') && existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

function typeOnly(statement) {
  if (ts.isExportDeclaration(statement)) return statement.isTypeOnly;
  const clause = statement.importClause;
  if (!clause) return false; // a side-effect import runs the module
  if (clause.isTypeOnly) return true;
  const named = clause.namedBindings;
  return !clause.name && named !== undefined && ts.isNamedImports(named) && named.elements.length > 0
    ? named.elements.every((element) => element.isTypeOnly)
    : false;
}

function importsOf(file) {
  const mtimeMs = statSync(file).mtimeMs;
  const known = graph.get(file);
  if (known && known.mtimeMs === mtimeMs) return known.imports;
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const imports = [];
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
    const specifier = statement.moduleSpecifier;
    if (!specifier || !ts.isStringLiteral(specifier)) continue;
    const path = resolveImport(file, specifier.text);
    if (path) imports.push({ path, typeOnly: typeOnly(statement) });
  }
  graph.set(file, { mtimeMs, imports });
  return imports;
}

/** A shortest route from `start` back to `target`, with whether any step of it is type-only. */
function routeBack(start, target) {
  const seen = new Set([start]);
  const queue = [{ path: start, route: [start], viaType: false }];
  while (queue.length > 0) {
    const { path, route, viaType } = queue.shift();
    for (const next of importsOf(path)) {
      if (next.path === target) return { route, viaType: viaType || next.typeOnly };
      if (seen.has(next.path)) continue;
      seen.add(next.path);
      queue.push({ path: next.path, route: [...route, next.path], viaType: viaType || next.typeOnly });
    }
  }
  return undefined;
}

module.exports = {
  meta: {
    type: 'problem',
    docs: { description: 'Forbid import cycles among local modules, type imports included.' },
    schema: [],
    messages: { cycle: 'Dependency cycle through a type import: {{route}}' },
  },
  create(context) {
    const filename = context.physicalFilename;
    if (!filename.endsWith('.ts')) return {};
    function check(node) {
      if (!node.source || typeof node.source.value !== 'string') return;
      const imported = resolveImport(filename, node.source.value);
      if (!imported || imported === filename) return;
      const back = routeBack(imported, filename);
      const selfTypeOnly = node.importKind === 'type' || node.exportKind === 'type' || allSpecifiersTypes(node);
      if (!back || !(back.viaType || selfTypeOnly)) return;
      const cwd = context.cwd;
      const route = [filename, ...back.route, filename].map((path) => relative(cwd, path)).join(' -> ');
      context.report({ node, messageId: 'cycle', data: { route } });
    }
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check };
  },
};

function allSpecifiersTypes(node) {
  const specifiers = node.specifiers ?? [];
  return specifiers.length > 0 && specifiers.every((s) => s.importKind === 'type' || s.exportKind === 'type');
}
