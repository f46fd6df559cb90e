import { type ArgumentsHost, Catch, Injectable, type RpcExceptionFilter } from '@nestjs/common';
import type { MqttContext } from '@nestjs/microservices';
import { EMPTY, type Observable } from 'rxjs';
import { DeviceErrorReporter } from './device-error-reporter';

/** Whatever a device handler on Nest's pipeline throws goes to the device's error topic (see DeviceErrorReporter). */
@Catch()
@Injectable()
export class DeviceErrorFilter implements RpcExceptionFilter<unknown> {
  constructor(private readonly reporter: DeviceErrorReporter) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    const context = host.switchToRpc().getContext<MqttContext>();
    this.reporter.report(context.getTopic(), context.getPacket() as object, exception);
    return EMPTY;
  }
}
