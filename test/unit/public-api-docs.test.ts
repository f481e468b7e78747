// The public API is documented where it is used: every export of the role entry points (cache,
// client, worker) carries TSDoc, so do the public methods of exported classes and every field of
// an exported options object, and an optional option states its `@default`.
import { resolve } from 'node:path';
import ts from 'typescript';

jest.setTimeout(60_000);

const ROOT = resolve(__dirname, '../..');
const ENTRY_POINTS = ['cache.ts', 'client.ts', 'worker.ts'];

/** What in the entry points' public surface lacks documentation, one line each. */
function undocumented(): string[] {
  const program = ts.createProgram(
    ENTRY_POINTS.map((file) => resolve(ROOT, file)),
    { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, types: ['node'] },
  );
  const checker = program.getTypeChecker();
  const doc = (symbol: ts.Symbol) => ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
  const problems: string[] = [];
  for (const entry of ENTRY_POINTS) {
    const source = program.getSourceFile(resolve(ROOT, entry));
    const module = source && checker.getSymbolAtLocation(source);
    if (!module) throw new Error(`${entry} did not compile to a module`);
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const name = exported.name;
      if (!doc(symbol)) problems.push(`${entry}: ${name}`);
      const declaration = symbol.declarations?.[0];
      if (!declaration) continue;
      const isOptions = ts.isInterfaceDeclaration(declaration) && name.endsWith('Options');
      if (!isOptions && !ts.isClassDeclaration(declaration)) continue;
      for (const member of checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol))) {
        const memberDeclaration = member.declarations?.[0];
        if (!memberDeclaration) continue;
        if (!isOptions) {
          const hidden =
            ts.getCombinedModifierFlags(memberDeclaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected);
          const isMethod = ts.isMethodDeclaration(memberDeclaration) || ts.isGetAccessorDeclaration(memberDeclaration);
          if (hidden || !isMethod) continue;
        }
        if (!doc(member)) problems.push(`${entry}: ${name}.${member.name}`);
        const optional = ts.isPropertySignature(memberDeclaration) && memberDeclaration.questionToken !== undefined;
        if (isOptions && optional && !member.getJsDocTags(checker).some((tag) => tag.name === 'default')) {
          problems.push(`${entry}: ${name}.${member.name} has no @default`);
        }
      }
    }
  }
  return problems;
}

test('every export, public method and options field of the entry points is documented, with defaults', () => {
  expect(undocumented()).toEqual([]);
});
