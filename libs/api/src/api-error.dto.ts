import { ApiProperty } from '@nestjs/swagger';

/** The one error shape every endpoint answers with (CONTRACT §2). */
export class ApiErrorDto {
  @ApiProperty({ description: 'HTTP status code', example: 400 })
  statusCode!: number;

  @ApiProperty({ description: 'HTTP status text', example: 'Bad Request' })
  error!: string;

  @ApiProperty({ description: 'What went wrong; names the field at fault for bad input', example: 'type: must be a string' })
  message!: string;
}
