/**
 * Conformance cases against colo_venue, a real process on loopback, through the OUCH client that
 * execution.ouch uses (OuchSession: the order mapping, the native OuchClient, the shared state
 * machine). One venue serves every case, each in a symbol of its own (CF01, CF02, …, registered by a
 * flow file of Stock Directory messages). The client is the SoupBinTCP user `cli`; the other
 * participants are a second user, `bg`, whose orders are the case's background steps: an add is a DAY
 * limit, an execution of N shares on order R is an IOC of N shares at R's price from the other side, a
 * reduce is a Cancel Order with Shares = the new size, a delete one with Shares 0.
 *
 * A step is over when the venue's audit trail holds every message each user sent and each user has
 * handled as many sequenced messages as the audit trail says the venue sent it; only then does the next
 * step go out, so the interleaving is the table's. Results are read from the OUCH answers, and the
 * client's executions are checked against the audit trail's.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OuchSession } from '../../lib/execution/ouch-session.ts';
import type { OuchUpdate } from '../../lib/execution/ouch-states.ts';
import { colo, type OuchClient } from '../../native/colo/index.ts';
import type { Order } from '../../schemas/types.generated.ts';
import { ItchWriter } from '../helpers/itch-writer.ts';
import { order as makeOrder } from '../helpers/records.ts';
import { type AuditLine, sleep, startVenue, until, type VenueProcess } from '../helpers/venue-process.ts';
import type { Case, FillRow, Side, StateRow } from './cases.ts';

/** The audit trail read as it grows: complete lines only (the venue may be mid-write). */
class AuditTail {
  readonly lines: AuditLine[] = [];
  private offset = 0;
  constructor(private readonly path: string) {}
  read(): AuditLine[] {
    if (!existsSync(this.path)) return this.lines;
    const bytes = readFileSync(this.path);
    const end = bytes.lastIndexOf(0x0a) + 1;
    if (end > this.offset) {
      for (const l of bytes.subarray(this.offset, end).toString('utf8').split('\n'))
        if (l !== '') this.lines.push(JSON.parse(l) as AuditLine);
      this.offset = end;
    }
    return this.lines;
  }
  count(dir: 'in' | 'out', session: string): number {
    return this.read().filter((l) => l.dir === dir && l.proto === 'ouch' && l.session === session).length;
  }
}

export interface VenueResult {
  fills: FillRow[];
  states: StateRow[];
  /** [order id, reason] of each REJECTED state. */
  reasons: [string, string][];
  /** The client's executions as the venue's audit trail records them (Executed to `cli`). */
  auditFills: FillRow[];
}

export class VenueRunner {
  private updates: OuchUpdate[] = [];
  private bgHandled = 0;
  private cliSent = 0;
  private bgSent = 0;

  private constructor(
    private readonly venue: VenueProcess,
    private readonly audit: AuditTail,
    private readonly cli: OuchSession,
    private readonly bg: OuchClient,
  ) {}

  static symbol(index: number): string {
    return `CF${String(index + 1).padStart(2, '0')}`;
  }

  /** A venue knowing `cases` symbols, with both users logged in. */
  static async start(dir: string, cases: number): Promise<VenueRunner> {
    const flow = new ItchWriter();
    for (let i = 0; i < cases; i++) flow.stockDirectory(i + 1, 34_200_000_000_000n, VenueRunner.symbol(i));
    const flowPath = join(dir, 'flow.itch');
    writeFileSync(flowPath, flow.bytes());
    const venue = await startVenue(dir, { users: ['cli:cli', 'bg:bg'], flowPath });
    const audit = new AuditTail(venue.auditPath);
    try {
      await until('the flow played', () => audit.read().filter((l) => l.proto === 'itch' && l.type === 'R').length === cases);
    } catch (err) {
      await venue.stop();
      throw err;
    }
    let runner: VenueRunner | undefined;
    let cliIn = false;
    let bgIn = false;
    const cli = new OuchSession({
      port: venue.ouchPort,
      username: 'cli',
      password: 'cli',
      session: '',
      marketCollar: 0.05,
      feeBps: 0,
      midnight: 0,
      now: () => Date.now() * 1000,
      onUpdate: (u) => runner?.updates.push(u),
      onSessionEvent: (e) => {
        if (e.kind === 'login') cliIn = true;
      },
    });
    const bg = new (colo().OuchClient)({
      port: venue.ouchPort,
      username: 'bg',
      password: 'bg',
      onEvents: (events) => {
        for (const e of events) {
          if (e.kind === 'login') bgIn = true;
          else if (e.kind === 'message' && runner) runner.bgHandled++;
        }
      },
    });
    runner = new VenueRunner(venue, audit, cli, bg);
    try {
      await until('both users logged in', () => cliIn && bgIn);
      await runner.settle();
    } catch (err) {
      await runner.stop();
      throw err;
    }
    return runner;
  }

  /**
   * Waits until the venue has read every message sent and each user has handled every answer it was
   * sent; then once more after a pause, since the venue flushes its audit trail at the end of a poll and
   * a large poll may reach the file in two writes.
   */
  private async settle(): Promise<void> {
    const done = (): boolean =>
      this.audit.count('in', 'cli') === this.cliSent &&
      this.audit.count('in', 'bg') === this.bgSent &&
      this.cli.stats().handled === this.audit.count('out', 'cli') &&
      this.bgHandled === this.audit.count('out', 'bg');
    for (let lines = -1; lines !== this.audit.read().length; ) {
      await until('the venue read every message and each user handled every answer', done);
      lines = this.audit.read().length;
      await sleep(3);
    }
  }

  async run(c: Case, index: number): Promise<VenueResult> {
    const symbol = VenueRunner.symbol(index);
    const prefix = `k${index + 1}.`;
    const background = new Map<number, { side: Side; price: number; shares: number }>();
    const tokens = new Map<string, string>();
    const clientId = (id: string): string => {
      tokens.set(colo().ouchToken(prefix + id), id);
      return prefix + id;
    };
    const from = this.audit.read().length;
    this.updates = [];
    const now = () => Date.now() * 1000;
    const toBackground = (o: Partial<Order> & Pick<Order, 'order_id' | 'side' | 'qty'>, shares?: number): void => {
      const mapped = colo().orderToOuch(makeOrder(symbol, o.side, o.qty, { ts_event: now(), ts_known: now(), ...o }), {
        market_collar: 0.05,
      });
      if (!mapped.ok) throw new Error(`background order ${o.order_id}: ${mapped.error}`);
      // A Cancel Order's Shares (the new size) are its last 4 bytes, big-endian; the mapping sends 0.
      if (shares !== undefined) mapped.bytes.writeUInt32BE(shares, mapped.bytes.length - 4);
      if (!this.bg.send(mapped.bytes)) throw new Error('the background session has ended');
      this.bgSent++;
    };
    const toClient = (o: Partial<Order> & Pick<Order, 'order_id' | 'side' | 'qty'>): void => {
      const order = makeOrder(symbol, o.side, o.qty, { ts_event: now(), ts_known: now(), ...o });
      const refused = this.cli.submit([order], now());
      this.updates.push(refused);
      // Refused by the mapping: nothing went to the venue.
      if (refused.states.length === 0) this.cliSent++;
    };
    const bgId = (id: number): string => `${prefix}bg${id}`;
    for (const [i, step] of c.steps.entries()) {
      if ('add' in step) {
        const a = step.add;
        background.set(a.id, { side: a.side, price: a.price, shares: a.shares });
        toBackground({
          order_id: bgId(a.id),
          side: a.side === 'B' ? 'BUY' : 'SELL',
          qty: a.shares,
          order_type: 'LIMIT',
          limit_price: a.price,
        });
      } else if ('execute' in step) {
        const r = background.get(step.execute.id)!;
        r.shares -= step.execute.shares;
        toBackground({
          order_id: `${prefix}bgx${i}`,
          side: r.side === 'B' ? 'SELL' : 'BUY',
          qty: step.execute.shares,
          order_type: 'LIMIT',
          limit_price: r.price,
          time_in_force: 'IOC',
        });
      } else if ('reduce' in step || 'delete' in step) {
        const id = 'reduce' in step ? step.reduce.id : step.delete.id;
        const r = background.get(id)!;
        r.shares = 'reduce' in step ? r.shares - step.reduce.shares : 0;
        toBackground({ order_id: `${prefix}bgc${i}`, side: 'BUY', qty: 0, action: 'CANCEL', target_order_id: bgId(id) }, r.shares);
      } else if ('order' in step) {
        const o = step.order;
        toClient({
          order_id: clientId(o.id),
          side: o.side,
          qty: o.qty,
          order_type: o.type,
          limit_price: o.price ?? null,
          ref_price: o.ref ?? 100,
          time_in_force: o.tif ?? 'DAY',
        });
      } else if ('cancel' in step) {
        toClient({
          order_id: clientId(step.cancel.id),
          side: 'BUY',
          qty: 0,
          action: 'CANCEL',
          target_order_id: clientId(step.cancel.target),
        });
      } else {
        const r = step.replace;
        toClient({
          order_id: clientId(r.id),
          side: r.side ?? 'BUY',
          qty: r.qty,
          order_type: 'LIMIT',
          limit_price: r.price,
          action: 'REPLACE',
          target_order_id: clientId(r.target),
        });
      }
      await this.settle();
    }
    const id = (orderId: string): string => orderId.slice(prefix.length);
    const auditFills = this.audit
      .read()
      .slice(from)
      .filter((l) => l.dir === 'out' && l.proto === 'ouch' && l.session === 'cli' && l.type === 'E')
      .map((l) => {
        const f = l.fields!;
        const orderId = tokens.get(String(f['order_token']));
        if (orderId === undefined) throw new Error(`audit: an execution of token ${String(f['order_token'])}, not this case's`);
        return [
          orderId,
          Number(f['executed_shares']),
          Number(f['execution_price']) / 1e4,
          f['liquidity_flag'] === 'A' ? 'MAKER' : 'TAKER',
        ] as FillRow;
      });
    return {
      fills: this.updates.flatMap((u) => u.fills.map((f) => [id(f.order_id), f.qty, f.price, f.liquidity] as FillRow)),
      states: this.updates.flatMap((u) => u.states.map((s) => [id(s.order_id), s.status, s.filled_qty, s.remaining_qty] as StateRow)),
      reasons: this.updates.flatMap((u) =>
        u.states.filter((s) => s.status === 'REJECTED').map((s) => [id(s.order_id), s.reason ?? ''] as [string, string]),
      ),
      auditFills,
    };
  }

  async stop(): Promise<void> {
    this.cli.close();
    this.bg.close();
    await this.venue.stop();
  }
}
