import { defineConfig } from 'prisma/config';

// Only `prisma generate` uses this file; migrations run in-process through
// schema-engine-wasm (libs/database/src/migrations), which needs no native engine.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
