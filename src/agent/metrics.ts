/**
 * The agent's metrics, rendered in the Prometheus text exposition format (version 0.0.4). Small on
 * purpose: counters and gauges with labels are all the agent needs, and a client library would
 * bring a global registry that N in-process agents (the bootstrap bench) would have to fight over.
 */

export type Labels = Readonly<Record<string, string>>;

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly values: Map<string, { labels: Labels; value: number }>;
}

/** Reads values owned by someone else at scrape time (e.g. data-plane packet counters). */
export type Collector = () => Promise<Array<{ name: string; labels: Labels; value: number }>>;

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function renderLabels(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabel(labels[k] ?? '')}"`).join(',')}}`;
}

export class Metrics {
  private readonly families = new Map<string, Family>();
  private readonly collectors: Array<{ family: Omit<Family, 'values'>; collect: Collector }> = [];

  /** Declares a metric family; declaring the same name twice with another type is a bug. */
  define(name: string, type: 'counter' | 'gauge', help: string): void {
    if (!NAME_RE.test(name)) throw new RangeError(`bad metric name ${name}`);
    const f = this.families.get(name);
    if (f !== undefined) {
      if (f.type !== type) throw new RangeError(`metric ${name} already defined as ${f.type}`);
      return;
    }
    this.families.set(name, { name, help, type, values: new Map() });
  }

  /** Adds `by` (≥ 0) to a counter. */
  inc(name: string, labels: Labels = {}, by = 1): void {
    const f = this.family(name);
    if (f.type !== 'counter') throw new RangeError(`${name} is not a counter`);
    if (!(by >= 0)) throw new RangeError('counters only go up');
    const k = labelKey(labels);
    const cur = f.values.get(k);
    if (cur) cur.value += by;
    else f.values.set(k, { labels: { ...labels }, value: by });
  }

  /** Sets a gauge. */
  set(name: string, labels: Labels, value: number): void {
    const f = this.family(name);
    if (f.type !== 'gauge') throw new RangeError(`${name} is not a gauge`);
    f.values.set(labelKey(labels), { labels: { ...labels }, value });
  }

  /** Current value (0 when never set); used by the status summary and tests. */
  get(name: string, labels: Labels = {}): number {
    return this.family(name).values.get(labelKey(labels))?.value ?? 0;
  }

  /** Sum over every label set of a family. */
  total(name: string): number {
    let s = 0;
    for (const v of this.family(name).values.values()) s += v.value;
    return s;
  }

  /** All label sets and values of a family. */
  series(name: string): Array<{ labels: Labels; value: number }> {
    return [...this.family(name).values.values()].map((v) => ({ labels: v.labels, value: v.value }));
  }

  /** Registers a family whose values are read at scrape time. */
  collect(name: string, type: 'counter' | 'gauge', help: string, collect: Collector): void {
    if (!NAME_RE.test(name)) throw new RangeError(`bad metric name ${name}`);
    this.collectors.push({ family: { name, type, help }, collect });
  }

  /** The Prometheus text format of every family. A failing collector is reported, not fatal. */
  async render(): Promise<string> {
    const out: string[] = [];
    const emit = (name: string, help: string, type: string, rows: Array<{ labels: Labels; value: number }>): void => {
      out.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
      out.push(`# TYPE ${name} ${type}`);
      for (const r of rows) out.push(`${name}${renderLabels(r.labels)} ${Number.isFinite(r.value) ? r.value : 'NaN'}`);
    };
    for (const f of this.families.values()) emit(f.name, f.help, f.type, [...f.values.values()]);
    for (const c of this.collectors) {
      let rows: Array<{ name: string; labels: Labels; value: number }>;
      try {
        rows = await c.collect();
      } catch {
        out.push(`# collector for ${c.family.name} failed`);
        continue;
      }
      emit(c.family.name, c.family.help, c.family.type, rows);
    }
    return `${out.join('\n')}\n`;
  }

  private family(name: string): Family {
    const f = this.families.get(name);
    if (f === undefined) throw new RangeError(`metric ${name} is not defined`);
    return f;
  }
}

/** Parses the text format back (used by `attestflow status` and tests); ignores comments. */
export function parsePrometheus(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const rows: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    const body = m[3];
    if (body) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
      for (let lm = re.exec(body); lm; lm = re.exec(body)) {
        labels[lm[1] as string] = (lm[2] as string).replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      }
    }
    rows.push({ name: m[1] as string, labels, value: Number(m[4]) });
  }
  return rows;
}
