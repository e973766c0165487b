/**
 * What a token/cost profile is made of, before any file format: facts (one LLM call's tokens of one kind, one call,
 * one tool call) carrying attributes (project, agent, session, tag …) and values, and the samples a view makes of
 * them by turning chosen attributes into a stack. Every encoder (pb.gz, folded, svg, json) reads the same samples.
 */

/** The profile's sample types, in value order. Cost is integer micro-USD so sums are exact in every format. */
export const SAMPLE_TYPES = [
  { type: 'tokens', unit: 'count' },
  { type: 'cost', unit: 'microdollars' },
  { type: 'calls', unit: 'count' },
  { type: 'time', unit: 'milliseconds' },
  { type: 'tool_calls', unit: 'count' },
] as const;

export type SampleType = (typeof SAMPLE_TYPES)[number]['type'];
export const SAMPLE_TYPE_NAMES: readonly SampleType[] = SAMPLE_TYPES.map((t) => t.type);
export const VALUE_INDEX: Readonly<Record<SampleType, number>> = Object.fromEntries(SAMPLE_TYPE_NAMES.map((t, i) => [t, i])) as Record<SampleType, number>;

/**
 * Attributes a fact may carry; a view's stack is a list of them. `what` is the model for model facts and the tool
 * name for tool facts (the time view's leaf); `file` may span several frames (a path split by directory).
 */
export type Attr = 'project' | 'agent' | 'session' | 'tag' | 'model' | 'kind' | 'phase' | 'what' | 'tool' | 'file';

/** The token kinds as leaf frames: disjoint, so they add up to report token's total (output excludes reasoning here). */
export const TOKEN_KINDS = ['input', 'cache read', 'cache write', 'output', 'reasoning'] as const;

export type Attrs = Partial<Record<Attr, string | readonly string[]>>;

export interface Fact {
  /** Shared by the facts of one call (never changed after): the stack of each distinct object is built once. */
  attrs: Attrs;
  /** One number per SAMPLE_TYPES entry. */
  values: number[];
  /**
   * An LLM call's tokens by TOKEN_KINDS: in a view whose stack has `kind`, each kind is a sample of its own with the
   * kind as a frame; elsewhere they add to `tokens` of the fact's own sample. (One fact per call, not per kind.)
   */
  tokensByKind?: readonly number[];
  /** pprof string labels (e.g. price: unknown). */
  labels?: Readonly<Record<string, string>>;
}

/** Facts of one source plus what did not fit in a value, for the profile's comments. */
export interface FactSet {
  /** Where the facts came from: a recording's path, or the home directory of --local. */
  source: string;
  facts: Fact[];
  /** LLM calls whose cost is unknown (unknown model or no usage): not in `cost`, counted here and labelled. */
  unknownPrice: { calls: number; models: string[] };
  /** Unix ns of the first and last fact, when known (pprof's time_nanos and duration_nanos). */
  startNs: number | null;
  endNs: number | null;
  /** Short notes about what the values leave out (calls without an end, tool calls without a result …). */
  notes: string[];
}

export interface Sample {
  /** Root first. */
  stack: string[];
  /** Which attribute each frame came from (pprof's file name of the frame's function). */
  frameAttrs: Attr[];
  values: number[];
  labels: Readonly<Record<string, string>>;
}

export interface ProfileModel {
  view: string;
  /** The sample type the view shows first (pprof's default_sample_type; folded and svg values). */
  valueType: SampleType;
  samples: Sample[];
  totals: number[];
  set: FactSet;
}

export function zeroValues(): number[] {
  return SAMPLE_TYPES.map(() => 0);
}

/** Samples of a view: each fact's chosen attributes as a stack (missing ones skipped), equal stacks merged. */
export function buildSamples(set: FactSet, view: string, stackAttrs: readonly Attr[], valueType: SampleType): ProfileModel {
  const totals = zeroValues();
  // Facts of one call share their attrs object, and equal stacks share a Stack: frames are resolved and joined once
  // per attrs object, and a fact costs two map look-ups (10k calls and 10k tool calls in the 1M-event fixture).
  const byAttrs = new Map<Attrs, Stack>();
  const byKey = new Map<string, Stack>();
  const all: Sample[] = [];
  const tokens = VALUE_INDEX.tokens;
  for (const f of set.facts) {
    let st = byAttrs.get(f.attrs);
    if (!st) {
      st = resolveStack(f.attrs, stackAttrs, byKey);
      byAttrs.set(f.attrs, st);
    }
    const own = sampleOf(st, null, f.labels ?? NO_LABELS, all);
    for (let i = 0; i < f.values.length; i++) {
      own.values[i] += f.values[i];
      totals[i] += f.values[i];
    }
    if (f.tokensByKind) {
      for (let k = 0; k < f.tokensByKind.length; k++) {
        const n = f.tokensByKind[k];
        if (n === 0) continue;
        (st.kindIndex >= 0 ? sampleOf(st, TOKEN_KINDS[k], NO_LABELS, all) : own).values[tokens] += n;
        totals[tokens] += n;
      }
    }
  }
  const samples = all.filter((s) => s.values.some((v) => v !== 0));
  samples.sort((a, b) => compareStacks(a.stack, b.stack));
  return { view, valueType, samples, totals, set };
}

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

interface Stack {
  stack: string[];
  frameAttrs: Attr[];
  /** Where the kind frame goes, when the view has one (-1 otherwise). */
  kindIndex: number;
  key: string;
  /** Samples of this stack by kind and labels. */
  samples: Map<string, Sample>;
}

function sampleOf(st: Stack, kind: string | null, labels: Readonly<Record<string, string>>, all: Sample[]): Sample {
  const labelKey = labels === NO_LABELS ? '' : Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join('\u0001');
  const key = `${kind ?? ''}\u0002${labelKey}`;
  let s = st.samples.get(key);
  if (!s) {
    const stack = [...st.stack];
    const frameAttrs = [...st.frameAttrs];
    if (kind !== null) {
      stack.splice(st.kindIndex, 0, kind);
      frameAttrs.splice(st.kindIndex, 0, 'kind');
    }
    if (stack.length === 0) stack.push('(none)'), frameAttrs.push('project');
    s = { stack, frameAttrs, values: zeroValues(), labels };
    st.samples.set(key, s);
    all.push(s);
  }
  return s;
}

/** The Stack of an attrs object: looked up by its joined frames, built only when no equal stack exists yet. */
function resolveStack(attrs: Attrs, stackAttrs: readonly Attr[], byKey: Map<string, Stack>): Stack {
  let key = '';
  for (const a of stackAttrs) {
    const v = attrs[a];
    if (a === 'kind' || v === undefined) continue;
    key += typeof v === 'string' ? `${v}\u0000` : `${v.join('\u0000')}\u0000`;
  }
  const hit = byKey.get(key);
  if (hit) return hit;
  const stack: string[] = [];
  const frameAttrs: Attr[] = [];
  let kindIndex = -1;
  for (const a of stackAttrs) {
    if (a === 'kind') {
      kindIndex = stack.length;
      continue;
    }
    const v = attrs[a];
    if (v === undefined) continue;
    for (const part of typeof v === 'string' ? [v] : v) {
      stack.push(part);
      frameAttrs.push(a);
    }
  }
  const st: Stack = { stack, frameAttrs, kindIndex, key, samples: new Map() };
  byKey.set(key, st);
  return st;
}

function compareStacks(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length - b.length;
}
