/**
 * A PostgreSQL wire-protocol server in front of one PGlite, for many client connections.
 *
 * PGlite is a single session. @electric-sql/pglite-socket's server multiplexes connections
 * message by message, which lets one connection's Parse/Bind/Execute be interleaved with
 * another's: under the services' pools that failed with "unnamed prepared statement does not
 * exist" (and could bind one connection's parameters to another's statement). Here a
 * connection's messages run as one unit up to the message that ends a round trip (Sync, Query,
 * Flush), units run one at a time in arrival order, and while a unit leaves a transaction open
 * only that connection's units run until it ends. Session settings stay shared (one session).
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80_877_103;
const CANCEL_REQUEST = 80_877_102;
const PROTOCOL_3 = 196_608;
/** Messages after which the client waits for an answer: Sync, Query, Flush. */
const ROUND_TRIP_END = new Set(['S', 'Q', 'H']);
const TERMINATE = 'X';

interface Unit {
  readonly connection: Connection;
  readonly bytes: Uint8Array;
}

class Connection {
  started = false;
  closed = false;
  private buffer: Buffer = Buffer.alloc(0);
  private pending: Buffer[] = [];

  constructor(
    readonly id: number,
    readonly socket: Socket,
  ) {}

  /** take appends received bytes and returns the complete units they finish. */
  take(chunk: Buffer): { units: Uint8Array[]; terminate: boolean } {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const units: Uint8Array[] = [];
    let terminate = false;
    for (;;) {
      if (!this.started) {
        if (this.buffer.length < 8) break;
        const length = this.buffer.readInt32BE(0);
        if (this.buffer.length < length) break;
        const code = this.buffer.readInt32BE(4);
        const message = this.buffer.subarray(0, length);
        this.buffer = this.buffer.subarray(length);
        if (code === SSL_REQUEST) {
          this.socket.write('N');
        } else if (code === CANCEL_REQUEST) {
          // No backend to signal: PGlite runs one statement at a time anyway.
          terminate = true;
          break;
        } else if (code === PROTOCOL_3) {
          this.started = true;
          units.push(new Uint8Array(message));
        } else {
          terminate = true;
          break;
        }
        continue;
      }
      if (this.buffer.length < 5) break;
      const length = 1 + this.buffer.readInt32BE(1);
      if (this.buffer.length < length) break;
      const type = String.fromCharCode(this.buffer[0] ?? 0);
      const message = this.buffer.subarray(0, length);
      this.buffer = this.buffer.subarray(length);
      if (type === TERMINATE) {
        terminate = true;
        break;
      }
      this.pending.push(message);
      if (ROUND_TRIP_END.has(type)) {
        units.push(new Uint8Array(Buffer.concat(this.pending)));
        this.pending = [];
      }
    }
    return { units, terminate };
  }
}

/** PgliteServerOptions says where to listen. */
export interface PgliteServerOptions {
  readonly host?: string;
  /** port 0 picks a free one (see `port` after start). */
  readonly port?: number;
}

/** PgliteServer serves one PGlite to any number of `pg` connections. */
export class PgliteServer {
  private server: Server | undefined;
  private readonly queue: Unit[] = [];
  private running = false;
  /** owner is the connection whose transaction is open, if any. */
  private owner: Connection | undefined;
  private readonly connections = new Set<Connection>();
  private nextId = 1;
  port = 0;

  constructor(
    private readonly db: PGlite,
    private readonly options: PgliteServerOptions = {},
  ) {}

  async start(): Promise<void> {
    await this.db.waitReady;
    const server = createServer((socket) => {
      this.accept(socket);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => {
        const address = server.address();
        this.port = typeof address === 'object' && address !== null ? address.port : 0;
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    for (const connection of this.connections) connection.socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) {
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    }
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    const connection = new Connection(this.nextId++, socket);
    this.connections.add(connection);
    socket.on('data', (chunk: Buffer) => {
      const { units, terminate } = connection.take(chunk);
      for (const bytes of units) this.queue.push({ connection, bytes });
      if (terminate) socket.end();
      void this.drain();
    });
    const gone = (): void => {
      if (connection.closed) return;
      connection.closed = true;
      this.connections.delete(connection);
      void this.drain();
    };
    socket.on('close', gone);
    socket.on('error', gone);
  }

  /** drain runs queued units one at a time, keeping an open transaction's connection first. */
  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        if (this.owner?.closed === true) {
          // The transaction's connection went away mid-transaction: roll it back for the others.
          this.owner = undefined;
          await this.db.exec('ROLLBACK').catch(() => undefined);
        }
        const index = this.owner === undefined ? 0 : this.queue.findIndex((unit) => unit.connection === this.owner);
        if (index < 0 || this.queue.length === 0) break;
        const [unit] = this.queue.splice(index, 1);
        if (unit === undefined || unit.connection.closed) continue;
        const socket = unit.connection.socket;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(unit.bytes, {
              onRawData: (data: Uint8Array) => {
                if (!socket.destroyed) socket.write(data);
              },
            }),
          );
        } catch {
          socket.destroy();
        }
        this.owner = this.db.isInTransaction() ? unit.connection : undefined;
      }
    } finally {
      this.running = false;
    }
  }
}
