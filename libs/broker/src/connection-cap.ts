/**
 * Descriptors the server keeps for itself beyond device sockets: its database pool, HTTP
 * clients, artifact files, stdio and libuv's own.
 */
export const SERVER_FD_HEADROOM = 512;

/**
 * Sockets the listeners hold beyond the cap of sessions, so that a device arriving at a full
 * broker is still told 0x03 Server unavailable (and backs off) instead of seeing its socket
 * closed. Taken out of SERVER_FD_HEADROOM.
 */
export const REFUSAL_ROOM = 64;

/**
 * The connection cap in force: MQTT_MAX_CONNECTIONS, lowered to fit the process' open-files
 * limit. Measured here with a limit of 20,000: past it, accepts fail with EMFILE and so do the
 * server's own database connections, so a full broker would take the rest of the server down.
 */
export function connectionCap(configured: number, openFilesLimit: number | undefined): number {
  if (openFilesLimit === undefined) return configured;
  return Math.max(1, Math.min(configured, openFilesLimit - SERVER_FD_HEADROOM));
}
