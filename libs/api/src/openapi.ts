import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

/** The operator API's OpenAPI document, built from the controllers and DTOs of `app`. */
export function buildOpenApiDocument(app: INestApplication, version: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('EdgeFleet operator API')
    .setDescription('Device registry, groups, twins, artifacts and rollouts. Authenticate with `Authorization: Bearer <api token>`.')
    .setVersion(version)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API token from POST /api/v1/api-keys or FLEET_ADMIN_TOKEN' })
    .addSecurityRequirements('bearer')
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Serves the OpenAPI UI at /docs and the document at /docs-json (CONTRACT §2). */
export function setupOpenApi(app: INestApplication, version: string): void {
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app, version), { jsonDocumentUrl: 'docs-json' });
}
