/** Shapes of the bus scanner (see index.ts for the API). */
import type { Clock } from '@prepaid-edge/protocols';
import type { Parity } from '../../core/config/gateway-config.js';

export type ScanProtocol = 'modbus' | 'dlt645' | 'both';

/** One set of serial line settings the scan tries. */
export interface LineSettings {
  baudRate: number;
  parity: Parity;
}

export interface ScanOptions {
  /** Serial device, e.g. /dev/ttyUSB0. */
  path: string;
  /** Baud rates to try, in this order (default DEFAULT_BAUDS). */
  bauds?: readonly number[];
  /** Parities to try at each baud rate, in this order (default even, none, odd: Modbus's default first). */
  parities?: readonly Parity[];
  /** Modbus unit ids to probe, in this order (default 1..247). */
  units?: readonly number[];
  /** Default 'both'. */
  protocol?: ScanProtocol;
  /**
   * Stop bits on every line setting. Default per the Modbus serial line spec: 2 without parity
   * (8N2: 11 bits a character), 1 with parity (8E1, 8O1). Give 1 for meters set to 8N1.
   */
  stopBits?: 1 | 2;
  /**
   * How long to wait for a reply that does not come (ms). Default: the wire time of the request
   * and of the expected reply at the line's baud rate plus `turnaroundMs`.
   */
  timeoutMs?: number;
  /** Allowance for a meter's reaction time in the default timeout (ms, default 50). */
  turnaroundMs?: number;
  /** Profiles to recognise (default: every profile in protocols/profiles). */
  profiles?: readonly string[];
  /** Stops the scan between probes; the generator then ends after closing the port. */
  signal?: AbortSignal;
}

/** A meter that answered. */
export interface FoundMeter {
  protocol: 'modbus' | 'dlt645';
  /** Modbus unit id; null for DL/T 645 meters. */
  unit: number | null;
  /** 12-digit DL/T 645 address; absent for Modbus meters. */
  address?: string;
  baudRate: number;
  parity: Parity;
  stopBits: 1 | 2;
  /** The one profile whose signature holds, or null when none or several do (see `problem`). */
  profile: string | null;
  /** Profiles whose signature holds (or could not be ruled out); more than one = ambiguous. */
  candidates: string[];
  /** Why `profile` is null, for the technician. */
  problem?: string;
}

export interface ScanProgress {
  type: 'progress';
  /** Probes done and planned (a probe = one address at one line setting). */
  done: number;
  total: number;
  /** Estimated ms left. */
  etaMs: number;
  elapsedMs: number;
  line: LineSettings;
  found: number;
}

export interface ScanFound {
  type: 'found';
  meter: FoundMeter;
}

/** A line setting the port refused (e.g. a baud rate the adapter cannot do): the scan goes on. */
export interface ScanLineError {
  type: 'line-error';
  line: LineSettings;
  code: string;
  message: string;
}

export type ScanEvent = ScanProgress | ScanFound | ScanLineError;

/**
 * Outcome of one request on the line. `late`: bytes that arrived after the previous exchange had
 * ended (a reply that came after its timeout), and any whole frames `complete` skipped.
 */
export type Exchange = ({ kind: 'reply'; bytes: Buffer } | { kind: 'garbled'; bytes: Buffer } | { kind: 'silence' }) & { late?: Buffer[] };

/** `complete`'s verdict on the bytes so far; `skip`: the first n bytes are a whole frame not for this request. */
export type Verdict = 'more' | 'done' | 'garbled' | { skip: number };

/** A serial port opened at one line setting; the scan's only I/O. */
export interface ScanLine {
  /**
   * Send `request`, collect bytes until `complete(buffer)` says a frame is whole (returns 'done'),
   * bad ('garbled'), or the timeout passes with nothing ('silence') or a partial frame ('garbled').
   * A `skip` verdict drops that many bytes (into `late`) and goes on waiting.
   */
  exchange(request: Buffer, timeoutMs: number, complete: (buf: Buffer) => Verdict): Promise<Exchange>;
  /** Wait `ms`, then hand over (and forget) what arrived since the last exchange: a late reply to the last probe. */
  drain?(ms: number): Promise<Buffer[]>;
  close(): Promise<void>;
}

export interface ScanDeps {
  /** Open `path` at `line` (default: serialport). Rejects with PrepaidError E_BUS_UNAVAILABLE. */
  openLine?: (path: string, line: LineSettings & { stopBits: 1 | 2 }) => Promise<ScanLine>;
  /** Monotonic time for the ETA, timers for waits and reply timeouts (default: the system clock). */
  clock?: Clock;
}
