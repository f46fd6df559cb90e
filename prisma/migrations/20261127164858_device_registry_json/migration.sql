-- AlterTable
-- Each device's registry fields as the API shows them (id, name, type, tags, createdAt,
-- updatedAt), written by the server with those columns. Existing rows are filled in here.
ALTER TABLE "devices" ADD COLUMN     "registry_json" TEXT;

UPDATE "devices" d SET "registry_json" = json_build_object(
  'id', d.id, 'name', d.name, 'type', d.type,
  'tags', coalesce((SELECT json_object_agg(split_part(t, ':', 1), substr(t, strpos(t, ':') + 1)) FROM unnest(d.tags) t), '{}'::json),
  'createdAt', to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'updatedAt', to_char(d.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text;

ALTER TABLE "devices" ALTER COLUMN "registry_json" SET NOT NULL;
