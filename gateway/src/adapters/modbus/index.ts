/**
 * The gateway's own Modbus masters (on protocols' codecs) and the one place a bus config becomes a
 * master: `tcp` -> TcpMaster, `rtu` -> RtuMaster on serialport, `rtu-over-tcp` -> RtuMaster on a
 * TCP socket. A bus with `driver: modbus-serial` keeps the modbus-serial master.
 */
import { systemClock, type Clock } from '@prepaid-edge/protocols';
import type { RtuBusConfig, RtuOverTcpBusConfig, TcpBusConfig } from '../../core/config/gateway-config.js';
import { ModbusSerialMaster, type ModbusMaster } from '../acquisition/modbus-transport.js';
import { DEFAULT_TCP_GAP_MS, frameGapMs } from './frame-timing.js';
import { serialLink, tcpLink } from './links.js';
import { RtuMaster } from './rtu-master.js';
import { TcpMaster } from './tcp-master.js';

export * from './frame-timing.js';
export * from './links.js';
export * from './request.js';
export * from './rtu-master.js';
export * from './rtu-matcher.js';
export * from './tcp-master.js';

export function createModbusMaster(bus: RtuBusConfig | TcpBusConfig | RtuOverTcpBusConfig, clock: Clock = systemClock): ModbusMaster {
  if (bus.type !== 'rtu-over-tcp' && bus.driver === 'modbus-serial') return new ModbusSerialMaster(bus);
  switch (bus.type) {
    case 'tcp':
      return new TcpMaster({ bus: bus.id, host: bus.host, port: bus.port, timeoutMs: bus.timeoutMs, maxInFlight: bus.maxInFlight ?? 1, clock });
    case 'rtu':
      return new RtuMaster({
        bus: bus.id,
        open: serialLink(bus),
        timeoutMs: bus.timeoutMs,
        silenceMs: frameGapMs(bus.baudRate, bus.parity, bus.stopBits),
        // After a whole matched reply the line has already been quiet for >= 3.5 characters when we
        // see its last byte: a UART hands bytes over at its FIFO timeout (~4 characters), a USB
        // adapter at its latency timer. Waiting again only costs bus time (rtu-efficiency bench).
        gapAfterReplyMs: 0,
        ...(bus.turnaroundMs !== undefined ? { turnaroundMs: bus.turnaroundMs } : {}),
        clock,
      });
    case 'rtu-over-tcp':
      return new RtuMaster({
        bus: bus.id,
        open: tcpLink({ host: bus.host, port: bus.port, connectTimeoutMs: bus.timeoutMs, clock }),
        timeoutMs: bus.timeoutMs,
        silenceMs: bus.frameGapMs ?? DEFAULT_TCP_GAP_MS,
        gapAfterReplyMs: 0,
        ...(bus.turnaroundMs !== undefined ? { turnaroundMs: bus.turnaroundMs } : {}),
        clock,
      });
  }
}
