// One SWC configuration for the build and for Jest: CommonJS output with legacy
// decorators and emitted decorator metadata (Nest's dependency injection reads it),
// and `@edgefleet/<lib>` imports rewritten to relative paths.
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function swcOptions() {
  return {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
      keepClassNames: true,
      baseUrl: root,
      paths: { '@edgefleet/*': ['libs/*/src'] },
    },
    module: { type: 'commonjs', ignoreDynamic: false },
    sourceMaps: 'inline',
  };
}

module.exports = { swcOptions, root };
