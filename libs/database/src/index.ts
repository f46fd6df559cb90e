export * from './database.module';
export * from './prisma.service';
export * from './prisma-errors';
export * from './transactor';
export * from './embedded/embedded-postgres-server';
export { Prisma } from './generated/client';
export * from './migrations';
export * from './prepared-statement';
export * from './postgres-errors';
