import { randomBytes } from 'node:crypto';
import type { TestApp, TestResponse } from '../../../../test/support/test-app';

export interface FormFile {
  field?: string;
  filename?: string;
  content: Buffer;
}

/** A multipart/form-data body, fields in the order given, the file (if any) last unless `fileFirst`. */
export function multipartBody(fields: Array<[string, string]>, file?: FormFile, fileFirst = false): { body: Buffer; contentType: string } {
  const boundary = `----edgefleet${randomBytes(8).toString('hex')}`;
  const fieldParts = fields.map(([name, value]) => Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  const fileParts = file
    ? [
        Buffer.from(
          `--${boundary}\r\ncontent-disposition: form-data; name="${file.field ?? 'file'}"; filename="${file.filename ?? 'firmware.bin'}"\r\n` +
            'content-type: application/octet-stream\r\n\r\n',
        ),
        file.content,
        Buffer.from('\r\n'),
      ]
    : [];
  const parts = fileFirst ? [...fileParts, ...fieldParts] : [...fieldParts, ...fileParts];
  return { body: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** POST /api/v1/artifacts as a form. */
export async function upload(
  t: TestApp,
  fields: Array<[string, string]>,
  file?: FormFile,
  options: { token?: string; fileFirst?: boolean } = {},
): Promise<TestResponse> {
  const { body, contentType } = multipartBody(fields, file, options.fileFirst);
  const response = await t.app.getHttpAdapter().getInstance().inject({
    method: 'POST',
    url: '/api/v1/artifacts',
    headers: { authorization: `Bearer ${options.token ?? t.adminToken}`, 'content-type': contentType },
    payload: body,
  });
  return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined, headers: response.headers };
}

export function firmwareFields(name: string, version: string, deviceTypes = 'cam'): Array<[string, string]> {
  return [
    ['name', name],
    ['version', version],
    ['deviceTypes', deviceTypes],
  ];
}

/** GET with optional headers; the raw bytes of the answer. */
export async function getBytes(
  t: TestApp,
  url: string,
  headers: Record<string, string> = {},
  token: string | null = t.adminToken,
  method: 'GET' | 'HEAD' = 'GET',
): Promise<{ status: number; bytes: Buffer; headers: Record<string, unknown> }> {
  const response = await t.app.getHttpAdapter().getInstance().inject({
    method,
    url,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  });
  return { status: response.statusCode, bytes: response.rawPayload, headers: response.headers };
}
