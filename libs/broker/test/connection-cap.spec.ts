import { SERVER_FD_HEADROOM, connectionCap } from '../src/connection-cap';

describe('connectionCap', () => {
  it('keeps MQTT_MAX_CONNECTIONS when the open-files limit leaves room for it and the server', () => {
    expect(connectionCap(1_000, 20_000)).toBe(1_000);
    expect(connectionCap(50_000, undefined)).toBe(50_000);
  });

  it('lowers it to the open-files limit less what the server needs for itself', () => {
    expect(connectionCap(50_000, 20_000)).toBe(20_000 - SERVER_FD_HEADROOM);
    expect(connectionCap(50_000, 100)).toBe(1);
  });
});
