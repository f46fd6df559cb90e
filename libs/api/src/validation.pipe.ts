import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { InvalidInputError } from '@edgefleet/common';

/** Rejects unknown fields and names every field at fault; nothing is written on bad input. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new InvalidInputError(flatten(errors).join('; ')),
  });
}

function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => {
    const path = prefix + error.property;
    const own = Object.entries(error.constraints ?? {}).map(([rule, text]) =>
      rule === 'whitelistValidation' ? `${path}: unknown field` : `${path}: ${text.replace(`${error.property} `, '')}`,
    );
    return [...own, ...flatten(error.children ?? [], `${path}.`)];
  });
}
