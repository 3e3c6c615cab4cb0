import { Controller, Get, Header, Inject, Module, type OnModuleInit } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Registry } from 'prom-client';
import { InjectProducer, ProducerService } from '../../lib/index.js';
import { KafkaProducerHealthIndicator } from '../../lib/health/index.js';
import { registerKafkaProducerMetrics } from '../../lib/prometheus/index.js';

/** The sample's own prom-client registry: the producers' metrics under kafka_producer_*. */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');

/** GET /metrics in Prometheus's text format. */
@Controller('metrics')
export class MetricsController implements OnModuleInit {
  constructor(
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    private readonly orders: ProducerService,
    @InjectProducer('audit') private readonly audit: ProducerService,
  ) {}

  onModuleInit(): void {
    registerKafkaProducerMetrics(this.registry, [this.orders, this.audit]);
  }

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

/** GET /health/live and /health/ready for Kubernetes probes (the orders producer). */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly kafka: KafkaProducerHealthIndicator,
    private readonly orders: ProducerService,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.kafka.isLive('kafka', this.orders)]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.kafka.isReady('kafka', this.orders, { activeCheckTimeoutMs: 1000 }),
    ]);
  }
}

@Module({
  imports: [TerminusModule],
  controllers: [MetricsController, HealthController],
  providers: [
    KafkaProducerHealthIndicator,
    { provide: METRICS_REGISTRY, useFactory: () => new Registry() },
  ],
})
export class ObservabilityModule {}
