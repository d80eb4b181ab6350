// Lets `require` load the TypeScript sources in a script, one file at a time through
// `ts.transpileModule` (types are not checked: `npm run typecheck` does that). For scripts that
// must run without a build: code generation (which the build needs) and previews.
'use strict';
const fs = require('node:fs');

function registerTypeScript() {
  if (require.extensions['.ts'] !== undefined) return;
  const ts = require('typescript');
  require.extensions['.ts'] = (module, filename) => {
    const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
      },
      fileName: filename,
    });
    module._compile(outputText, filename);
  };
}

module.exports = { registerTypeScript };
