import type { FastifyRequest } from 'fastify';
import { InvalidInputError } from '@edgefleet/common';
import type { ArtifactDescription } from '../artifact';
import { parseArtifactDescription } from '../artifact-description';
import type { ArtifactUploadService } from '../artifact-upload.service';
import type { StagedContent } from '../storage/content-store';

const MAX_FIELD_BYTES = 16 * 1024;
const MAX_FIELDS = 200;

/**
 * Reads an upload form part by part: text fields are collected, the one `file` part is
 * streamed to disk as it arrives. Fields sent before the file are checked before a byte of
 * it is stored; on any failure the staged file is removed.
 */
export async function receiveArtifactUpload(
  request: FastifyRequest,
  uploads: ArtifactUploadService,
  maxFileBytes: number,
): Promise<{ description: ArtifactDescription; staged: StagedContent }> {
  if (!request.isMultipart()) throw new InvalidInputError('must be multipart/form-data with file, name, version and deviceTypes', 'content-type');
  const fields: Record<string, string[]> = {};
  let staged: StagedContent | undefined;
  try {
    // One byte over the limit reaches the stager, which then refuses with 413.
    const parts = request.parts({ limits: { fileSize: maxFileBytes + 1, files: 1, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES } });
    for await (const part of parts) {
      if (part.type === 'field') {
        if (part.valueTruncated) throw new InvalidInputError(`longer than ${MAX_FIELD_BYTES} bytes`, part.fieldname);
        (fields[part.fieldname] ??= []).push(String(part.value));
        continue;
      }
      if (part.fieldname !== 'file') throw new InvalidInputError('unknown file field; send the firmware as `file`', part.fieldname);
      if (fields.name && fields.version && fields.deviceTypes) parseArtifactDescription(fields);
      staged = await uploads.stage(part.file);
    }
    if (!staged) throw new InvalidInputError('is required', 'file');
    return { description: parseArtifactDescription(fields), staged };
  } catch (error) {
    if (staged) await uploads.discard(staged);
    throw error;
  }
}
