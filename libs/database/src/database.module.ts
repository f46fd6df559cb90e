import { type DynamicModule, Global, Module } from '@nestjs/common';
import { DATABASE_PROCESS } from './database-process';
import { DATABASE_OPTIONS, type DatabaseOptions, PrismaService } from './prisma.service';
import { Transactor } from './transactor';

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseOptions): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        { provide: DATABASE_OPTIONS, useValue: options },
        { provide: PrismaService, useFactory: () => new PrismaService(options) },
        { provide: DATABASE_PROCESS, useValue: options.process ?? null },
        Transactor,
      ],
      exports: [PrismaService, Transactor, DATABASE_OPTIONS, DATABASE_PROCESS],
    };
  }
}
