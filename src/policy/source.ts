/**
 * A policy file as YAML: the parsed document plus a way to find where any value or key is, so every
 * problem can say file:line:column. All scalars are read as strings (YAML failsafe schema) and the
 * JSON Schema converts the few integers and booleans, so hex made only of digits stays hex.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node as YamlNode } from 'yaml';
import type { PolicyProblem } from './types.js';

/** A position in the file (1-based). */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** A path into the document: map keys and sequence indices. */
export type DocPath = readonly (string | number)[];

/** A parsed policy source with position lookup. */
export class PolicySource {
  readonly file: string;
  readonly data: unknown;
  /** YAML syntax problems; when any is fatal, `data` is undefined. */
  readonly problems: PolicyProblem[] = [];
  private readonly lines = new LineCounter();
  private readonly doc: Document.Parsed;

  constructor(text: string, file: string) {
    this.file = file;
    this.doc = parseDocument(text, { lineCounter: this.lines, schema: 'failsafe', uniqueKeys: true, prettyErrors: false, logLevel: 'error' });
    let fatal = false;
    for (const e of this.doc.errors) {
      const dup = e.code === 'DUPLICATE_KEY';
      fatal ||= !dup;
      const msg = dup ? 'a field appears twice in the same mapping; keep one' : `YAML syntax: ${e.message.split('\n')[0]}`;
      this.problems.push(this.problemAt(this.pos(e.pos[0]), dup ? 'duplicate-field' : 'yaml-syntax', msg));
    }
    // Aliases would let one value stand for another somewhere else in the file; a policy is read
    // by people who must not be misled, so every value is written where it applies.
    visit(this.doc, {
      Alias: (_, node) => {
        fatal = true;
        const at = node.range ? this.pos(node.range[0]) : { line: 1, column: 1 };
        this.problems.push(this.problemAt(at, 'yaml-alias', `aliases (*${node.source}) are not allowed in a policy: write the value out where it applies`));
      },
    });
    let data: unknown;
    if (!fatal) {
      try {
        data = this.doc.toJS();
      } catch (e) {
        // The yaml library's own limits (e.g. merge keys); reported, never thrown.
        this.problems.push(this.problemAt({ line: 1, column: 1 }, 'yaml-syntax', `YAML: ${(e as Error).message}`));
      }
    }
    this.data = data;
  }

  /** A problem at a position. */
  problemAt(p: Position, code: string, message: string): PolicyProblem {
    return { file: this.file, line: p.line, column: p.column, code, message };
  }

  /** A problem at the value of `path` (or, with `key`, at that key inside the mapping at `path`). */
  problem(path: DocPath, code: string, message: string, key?: string): PolicyProblem {
    return this.problemAt(this.locate(path, key), code, message);
  }

  /** Where the value at `path` starts; with `key`, where that key of the mapping at `path` starts. */
  locate(path: DocPath, key?: string): Position {
    // Walk as far as the path resolves, so a missing leaf still points at its parent.
    let node: unknown = this.doc.contents;
    for (const seg of path) {
      const next = this.child(node, seg);
      if (next === undefined) break;
      node = next;
    }
    if (key !== undefined && isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
      if (pair && isScalar(pair.key) && pair.key.range) return this.pos(pair.key.range[0]);
    }
    const range = (node as YamlNode | null | undefined)?.range;
    return range ? this.pos(range[0]) : { line: 1, column: 1 };
  }

  private child(node: unknown, seg: string | number): unknown {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      return pair?.value ?? undefined;
    }
    if (isSeq(node) && typeof seg === 'number') return node.items[seg];
    return undefined;
  }

  private pos(offset: number): Position {
    const p = this.lines.linePos(offset);
    return { line: p.line, column: p.col };
  }
}
