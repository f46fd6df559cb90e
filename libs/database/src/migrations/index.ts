export {
  applyMigrations,
  createMigration,
  schemaDrift,
  defaultMigrationsDir,
  defaultSchemaPath,
  type CreateMigrationResult,
  type MigrationOptions,
} from './migrator';
export { readMigrationList, writeMigration, type MigrationList, type NewMigration } from './migration-directory';
export {
  explainSchemaEngineError,
  schemaEngineVersion,
  withSchemaEngine,
  type EngineLogger,
  type SchemaEngine,
  type SchemaFile,
} from './schema-engine';
