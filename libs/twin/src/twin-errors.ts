import { DomainError, DomainErrorCode } from '@edgefleet/common';

/** A desired or reported document that would exceed `TWIN_MAX_BYTES`; nothing is changed. */
export class TwinTooLargeError extends DomainError {
  constructor(side: 'desired' | 'reported', bytes: number, maxBytes: number) {
    super(DomainErrorCode.TooLarge, `${side} state would be ${bytes} bytes of JSON, over the limit of ${maxBytes} (TWIN_MAX_BYTES); nothing was changed`);
  }
}
