import { readFileSync } from 'node:fs';
import { exportOpenApiDocument } from '@edgefleet/server';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { renderApiTypes, OUTPUT } = require('../../../scripts/api-types.js') as {
  renderApiTypes(document: unknown): Promise<string>;
  OUTPUT: string;
};

describe('generated API types', () => {
  it('match the OpenAPI document the server serves (run `npm run api:types` after changing the API)', async () => {
    const expected = await renderApiTypes(await exportOpenApiDocument());
    expect(readFileSync(OUTPUT, 'utf8')).toBe(expected);
  });
});
