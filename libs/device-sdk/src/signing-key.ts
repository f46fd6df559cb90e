/**
 * Fetches the fleet's artifact signing key (Ed25519 public key, PEM) from
 * `GET /api/v1/signing-key`. A device should get it once, over a channel it trusts (at
 * provisioning), and keep it: a key fetched at the moment of an update proves nothing
 * against whoever controls that moment.
 */
export async function fetchSigningKey(apiUrl: string, token?: string): Promise<string> {
  const response = await fetch(`${apiUrl.replace(/\/+$/, '')}/api/v1/signing-key`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  if (!response.ok) throw new Error(`GET /api/v1/signing-key answered ${response.status}`);
  const text = await response.text();
  if (text.includes('BEGIN PUBLIC KEY')) {
    if (text.trimStart().startsWith('{')) {
      const body = JSON.parse(text) as Record<string, unknown>;
      const pem = Object.values(body).find((value) => typeof value === 'string' && value.includes('BEGIN PUBLIC KEY'));
      if (typeof pem === 'string') return pem;
    }
    return text;
  }
  throw new Error('GET /api/v1/signing-key did not return a PEM public key');
}
