/**
 * The head end of a fleet run: one MQTT subscriber for every gateway's readings. It counts readings
 * per gateway, checks that each meter's seqs arrive without holes (docs/mqtt.md: a hole is a lost
 * reading) and measures end-to-end latency, reading `ts` (when the gateway polled) -> arrival here.
 */
import type { MqttClient } from 'mqtt';
import { systemClock } from '@prepaid-edge/protocols';
import { LatencyHistogram } from './latency-histogram.js';
import { connectSubscriber } from './subscriber.js';

interface MeterTally {
  /** Highest seq received; seqs start at 1 in a fresh outbox. */
  maxSeq: number;
  /** Seqs skipped over and not (yet) received. */
  holes: Set<number>;
  duplicates: number;
}

export interface HeadEndWindow {
  readings: number;
  messages: number;
  ms: number;
}

export class HeadEnd {
  private client: MqttClient | undefined;
  private readonly meters = new Map<string, MeterTally>();
  private readonly perGateway = new Map<string, number>();
  private readonly windowPerGateway = new Map<string, number>();
  readonly latency = new LatencyHistogram();
  private windowStart: number | undefined;
  private windowEnd: number | undefined;
  private windowReadings = 0;
  private windowMessages = 0;
  /** Readings taken (reading ts) within the window, whenever they arrive: what the meters were polled for. */
  private polledInWindow = 0;
  /** Arrival time of the last reading, to tell when the stream has gone quiet. */
  lastArrival = 0;
  total = 0;

  constructor(
    private readonly gatewayIds: ReadonlySet<string>,
    private readonly prefix: string,
    private readonly now: () => number = () => systemClock.now(),
  ) {}

  async connect(url: string, clientId: string): Promise<void> {
    this.client = await connectSubscriber(url, clientId, `${this.prefix}/+/meters/+/readings`, (topic, payload) => this.onMessage(topic, payload));
  }

  private onMessage(topic: string, payload: Buffer): void {
    const gw = topic.slice(this.prefix.length + 1).split('/')[0]!;
    if (!this.gatewayIds.has(gw)) return; // another fleet or a real gateway on a shared broker
    const arrival = this.now();
    const msg = JSON.parse(payload.toString('utf8')) as { meter: string; readings: Array<{ seq: number; ts: number }> };
    const key = `${gw}/${msg.meter}`;
    let m = this.meters.get(key);
    if (!m) this.meters.set(key, (m = { maxSeq: 0, holes: new Set(), duplicates: 0 }));
    const inWindow = this.windowStart !== undefined && arrival >= this.windowStart && (this.windowEnd === undefined || arrival < this.windowEnd);
    for (const r of msg.readings) {
      let fresh = true;
      if (r.seq > m.maxSeq) {
        for (let s = m.maxSeq + 1; s < r.seq; s++) m.holes.add(s);
        m.maxSeq = r.seq;
      } else if (!m.holes.delete(r.seq)) {
        m.duplicates++;
        fresh = false;
      }
      if (fresh && this.windowStart !== undefined && r.ts >= this.windowStart && (this.windowEnd === undefined || r.ts < this.windowEnd)) this.polledInWindow++;
      if (inWindow) this.latency.add(arrival - r.ts);
    }
    const n = msg.readings.length;
    this.total += n;
    this.lastArrival = arrival;
    this.perGateway.set(gw, (this.perGateway.get(gw) ?? 0) + n);
    if (inWindow) {
      this.windowReadings += n;
      this.windowMessages++;
      this.windowPerGateway.set(gw, (this.windowPerGateway.get(gw) ?? 0) + n);
    }
  }

  /** Readings taken within the window that have arrived (those still in an outbox are counted by the caller). */
  polledReadings(): number {
    return this.polledInWindow;
  }

  /** Gateways from which at least one reading has arrived. */
  gatewaysHeard(): number {
    return this.perGateway.size;
  }

  startWindow(): void {
    this.windowStart = this.now();
  }

  /** Epoch ms [from, to) of the window (to: now while it is open). */
  window(): { from: number; to: number } {
    return { from: this.windowStart ?? 0, to: this.windowEnd ?? this.now() };
  }

  endWindow(): HeadEndWindow {
    this.windowEnd = this.now();
    return { readings: this.windowReadings, messages: this.windowMessages, ms: this.windowEnd - (this.windowStart ?? this.windowEnd) };
  }

  /** Readings each gateway delivered within the window (0 for a gateway never heard). */
  windowReadingsByGateway(): Map<string, number> {
    return new Map([...this.gatewayIds].map((g) => [g, this.windowPerGateway.get(g) ?? 0]));
  }

  /** Whether this seq of that meter has arrived. */
  hasReceived(gw: string, meter: string, seq: number): boolean {
    const m = this.meters.get(`${gw}/${meter}`);
    return m !== undefined && seq <= m.maxSeq && !m.holes.has(seq);
  }

  meter(gw: string, meter: string): { received: number; maxSeq: number; holes: number; duplicates: number } {
    const m = this.meters.get(`${gw}/${meter}`);
    if (!m) return { received: 0, maxSeq: 0, holes: 0, duplicates: 0 };
    return { received: m.maxSeq - m.holes.size, maxSeq: m.maxSeq, holes: m.holes.size, duplicates: m.duplicates };
  }

  async close(): Promise<void> {
    await this.client?.endAsync(true);
  }
}
