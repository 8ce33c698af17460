// Type-check a project with the workspace's TypeScript, reporting only the files we own.
// `skipLibCheck: false` over a whole consumer project checks every .d.ts of mongodb, kysely and
// @types/node (three times the time); asking the checker only about chosen files still checks our
// emitted .d.ts files in full and resolves everything they use, at a fraction of the cost.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { root } from './workspace.mjs';

const ts = createRequire(join(root, 'package.json'))('typescript');

/**
 * Diagnostics, formatted one per line, for the project in `configFile`: option and global errors,
 * and the syntactic and semantic errors of every source file for which `own(fileName)` is true.
 */
export function typecheck(configFile, own) {
  const parsed = ts.getParsedCommandLineOfConfigFile(configFile, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  const options = { ...parsed.options, skipLibCheck: false, noEmit: true };
  const program = ts.createProgram({ rootNames: parsed.fileNames, options });
  const found = [...parsed.errors, ...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  for (const file of program.getSourceFiles()) {
    if (!own(file.fileName)) continue;
    found.push(...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file));
  }
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => process.cwd(), getNewLine: () => '\n' };
  return found.map((d) => ts.formatDiagnostic(d, host).trimEnd());
}
