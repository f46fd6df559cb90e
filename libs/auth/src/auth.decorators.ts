import { type ExecutionContext, SetMetadata, createParamDecorator } from '@nestjs/common';
import type { Actor } from '@edgefleet/common';
import type { ApiRole } from '@edgefleet/contracts';

export const PUBLIC_ROUTE = 'edgefleet:public';
export const MIN_ROLE = 'edgefleet:min-role';

/** No token needed (health, metrics, docs, device download links that carry their own token). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** The least role that may call this route; on a controller it is the default for its routes. */
export const MinRole = (role: ApiRole) => SetMetadata(MIN_ROLE, role);

/** The authenticated caller, for the audit log. */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  return context.switchToHttp().getRequest<{ actor: Actor }>().actor;
});
