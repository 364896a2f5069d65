/** A throw-away mosquitto on a free 127.0.0.1 port for one benchmark (no persistence, no log). */
import { launchMosquitto } from '@prepaid-edge/testkit/mosquitto';

export interface BenchBroker {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startBenchBroker(): Promise<BenchBroker> {
  const extraConf = ['max_inflight_messages 0', 'max_queued_messages 0'];
  const broker = await launchMosquitto({ persistence: false, logging: false, extraConf, ...(process.env.BENCH_TMP ? { tmpDir: process.env.BENCH_TMP } : {}) });
  return { url: broker.url, port: broker.port, stop: broker.dispose };
}
