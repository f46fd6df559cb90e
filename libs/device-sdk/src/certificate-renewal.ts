/** A certificate the fleet CA issued: what renewal and provisioning by certificate give back. */
export interface IssuedCertificate {
  serial: string;
  /** PEM. */
  certificate: string;
  notBefore: string;
  notAfter: string;
}

/**
 * One renewal at a time (docs/protocol.md §1.2): the CSR goes out on
 * `devices/{id}/certificates/renew`, the answer comes on `…/renewed`, a refusal on `…/errors`.
 */
export class CertificateRenewal {
  private pending?: { resolve(issued: IssuedCertificate): void; reject(error: Error): void; timer: NodeJS.Timeout };

  constructor(private readonly send: (csr: string) => Promise<void>) {}

  request(csr: string, timeoutMs: number): Promise<IssuedCertificate> {
    if (this.pending) return Promise.reject(new Error('a certificate renewal is already in progress'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.settle(undefined, new Error(`no renewed certificate within ${timeoutMs} ms`)), timeoutMs);
      this.pending = { resolve, reject, timer };
      this.send(csr).catch((error: Error) => this.settle(undefined, error));
    });
  }

  renewed(answer: IssuedCertificate | null): void {
    if (answer && typeof answer.certificate === 'string') this.settle(answer);
  }

  refused(message: string): void {
    this.settle(undefined, new Error(`renewal refused: ${message}`));
  }

  private settle(issued?: IssuedCertificate, error?: Error): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    clearTimeout(pending.timer);
    if (issued) pending.resolve(issued);
    else pending.reject(error!);
  }
}
