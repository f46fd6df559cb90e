/**
 * The server cannot take this now (the database is unavailable, or the backlog of unwritten
 * work is at its limit), and the sender should try again later. Not a DomainError: over MQTT
 * a message refused so is not acknowledged, so the device keeps it and sends it again.
 */
export class UnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
