import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** Serves the OpenAPI UI at /docs and the document at /docs-json (CONTRACT §2). */
export function setupOpenApi(app: INestApplication, version: string): void {
  const config = new DocumentBuilder()
    .setTitle('EdgeFleet operator API')
    .setDescription('Device registry, groups, twins, artifacts and rollouts. Authenticate with `Authorization: Bearer <api token>`.')
    .setVersion(version)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API token from POST /api/v1/api-keys or FLEET_ADMIN_TOKEN' })
    .addSecurityRequirements('bearer')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
